"""The course: Markdown lessons with front matter, live widgets and questions the engine answers."""
