"""The one error the engine raises for an argument it refuses.

``argument`` is the parameter's name as the caller passed it (``"x"``, ``"stride"``,
``"variations.shift"``), so a caller can point at its own field without reading the
sentence; the message says what the legal values are, in words a student can act on.
``fits`` is False when the argument is legal on its own but the window it describes
does not fit the input it slides over (a kernel larger than the padded image).
"""

from __future__ import annotations


class ArgumentError(ValueError):
    def __init__(self, argument: str, message: str, *, fits: bool = True):
        super().__init__(message)
        self.argument = argument
        self.fits = fits

    def __reduce__(self):  # keeps argument and fits across a process boundary (pickling)
        return (_rebuild, (self.argument, str(self), self.fits))


def _rebuild(argument: str, message: str, fits: bool) -> ArgumentError:
    return ArgumentError(argument, message, fits=fits)
