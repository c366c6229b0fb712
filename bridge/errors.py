"""Exception tree shared by the runtime; each error carries a short code for OSC replies."""


class BridgeError(Exception):
    """Base of every error the runtime raises on purpose."""

    code = "error"


class ParameterError(BridgeError, ValueError):
    """A value given by the user (CLI, preset, OSC) is out of range or of the wrong kind."""

    code = "parameter"


class ModelError(BridgeError):
    """A model file is missing, unreadable, or does not describe itself as bridge expects."""

    code = "model"


class BusyError(BridgeError):
    """The daemon cannot take this request now (queue full, stream limit reached)."""

    code = "busy"


class AudioFileError(BridgeError):
    """An audio file cannot be read or written."""

    code = "file"


class BindError(BridgeError):
    """The daemon cannot bind its socket."""

    code = "bind"
