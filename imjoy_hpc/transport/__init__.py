"""The gateway's transport: its two doors and what they need of the network, apart from what the gateway does
with the connections (that is imjoy_hpc.gateway, which uses this package through the names below).

`door.py` what both doors do whatever their transport (admission, registration, a `Connection` and its RPC peer
each, client sessions kept across dropped connections); `sockets.py` the front door (socket.io), `link.py` the
plugin door (the plugin link); `binary_send.py` and `eio_receive.py` socket.io's sending and engine.io's receiving
without extra copies or tasks, `spooled_messages.py` oversized array messages into spool files; `uploads.py` and
`client_uploads.py` large arrays as HTTP uploads; `receivers.py` array chunk sizes per receiver; `bodies.py` no
request body before authentication; `limits.py` descriptors, connections and where they come from; `causes.py`
errors caused by clients, logged once per cause.

Nothing here imports imjoy_hpc.gateway; the frames, codec and peer come from imjoy_hpc.rpc.
"""

from imjoy_hpc.transport import client_uploads
from imjoy_hpc.transport.bodies import BodyLimit, NotFoundHandler, answer_and_close, declared_size
from imjoy_hpc.transport.causes import count_library_logs
from imjoy_hpc.transport.door import Connection, Registration, RegistrationRefused
from imjoy_hpc.transport.limits import OTHER_USER, CappedHTTPServer, connection_cap, raise_descriptor_limit
from imjoy_hpc.transport.link import LinkDoor
from imjoy_hpc.transport.sockets import SocketDoor
from imjoy_hpc.transport.uploads import UPLOAD_PATH, ArrayUploadHandler, Uploads

__all__ = [
    "OTHER_USER", "UPLOAD_PATH", "ArrayUploadHandler", "BodyLimit", "CappedHTTPServer", "Connection", "LinkDoor",
    "NotFoundHandler", "Registration", "RegistrationRefused", "SocketDoor", "Uploads", "answer_and_close",
    "client_uploads", "connection_cap", "count_library_logs", "declared_size", "raise_descriptor_limit",
]
