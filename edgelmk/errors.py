"""The errors edgelmk raises on user input: each says what it got, what it expected and how to fix it.

All derive from :class:`EdgelmkError` (a ``ValueError``), which the command line turns into a
one-line message with exit code 1 (``edgelmk --debug ...`` shows the traceback instead).
"""


class EdgelmkError(ValueError):
    """A problem with the user's input or files; the message names it and the fix."""


class RecipeError(EdgelmkError):
    """A recipe that cannot be used; the message names the key and the fix."""


class DatasetError(EdgelmkError):
    """A dataset file or record is unusable; the message names the file and the record."""


class CheckpointError(EdgelmkError):
    """A checkpoint that cannot be used; the message names the file and why."""


class SidecarError(EdgelmkError):
    """A ``model.json`` that cannot be used; the message names the file and the field."""


class TrainingError(EdgelmkError):
    """Training cannot go on; the message says why and what to do."""
