"""The whole exception tree of the runtime; each error's ``code`` is what ``/bridge/error`` carries.

Codes (the README's list): ``parameter``, ``model``, ``busy``, ``stream``, ``audio``,
``sequence``, ``file``, ``malformed``, ``internal``, ``cancelled``, ``midi``. The last few
are sent by the daemon itself (a datagram it cannot parse, a bug, a job stopped at
shutdown) rather than raised here.
"""


class BridgeError(Exception):
    """Base of every error the runtime raises on purpose."""

    code = "error"


class ParameterError(BridgeError, ValueError):
    """A value given by the user (CLI, preset, OSC) is out of range or of the wrong kind."""

    code = "parameter"


class StreamShapeError(ParameterError):
    """A setting that shapes a stream's windows changed while it is open: the stream must be re-opened."""


class ModelError(BridgeError):
    """A model file is missing, unreadable, or does not describe itself as bridge expects; or a model call failed."""

    code = "model"


class BusyError(BridgeError):
    """The daemon cannot take this request now (queue full, stream limit reached, stopping)."""

    code = "busy"


class StreamError(BridgeError):
    """A request names a stream that is not open."""

    code = "stream"


class AudioFileError(BridgeError):
    """An audio file cannot be read or written."""

    code = "file"


class BindError(BridgeError):
    """The daemon cannot bind its socket."""

    code = "bind"


class JobCancelled(BridgeError):
    """An offline job was stopped because the daemon is shutting down."""

    code = "cancelled"


ERROR_CODES = ("parameter", "model", "busy", "stream", "audio", "sequence", "file", "malformed", "internal",
               "cancelled", "midi")
