"""The classroom: students follow the instructor's page live, answer polls the projector counts.

Every class.* message is answered by the page's class desk (:mod:`.desk`), which keeps
whether the page is in a class and carries the class's pushed frames. The class itself lives
in a store (:mod:`.store`: in this process and a small file; :mod:`.redis_store`: shared by
several processes), reached through this process's hub (:mod:`.hub`). PROTOCOL.md,
"Classroom", lists the messages.
"""

from __future__ import annotations

from ...core.feature import Feature, Message
from .desk import MODELS, ClassDesk

FEATURE = Feature(
    name="classroom",
    messages=tuple(Message(type_name, model, answer) for type_name, (model, answer) in MODELS.items()),
    desk=ClassDesk,
)
