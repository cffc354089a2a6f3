"""Drive Monado's ``remote`` driver: a head and two hands/controllers over TCP.

Monado's remote driver (``P_OVERRIDE_ACTIVE_CONFIG=remote``) listens on TCP port
4242 and takes a stream of fixed-size packets, its ``struct r_remote_data``
(protocol "mndrmt3", 376 bytes, little-endian, naturally aligned): the head's
centre pose and optional per-view fov/pose, then for each controller its grip
pose, velocities, five finger curls, analog inputs, ``hand_tracking_active``,
``active`` and eleven buttons. The runtime synthesises the 26 hand joints from
the curls around the grip pose. On connection it sends two packets (its reset
state and its latest state), which :meth:`RemoteFeeder.connect` reads back.

This is how the OpenXR integration tests put hands in front of a real runtime
without a person; it is also a handy desktop tool for trying the headset path.
Poses here are ``(px, py, pz, qx, qy, qz, qw)`` like everywhere in vrtrainer;
the wire format stores orientation first, which :func:`pack` takes care of.
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass, field

from vrtrainer.errors import VrtrainerError
from vrtrainer.hands.hand import FINGER_NAMES

DEFAULT_PORT = 4242
HEADER = b"mndrmt3\0"
PACKET_SIZE = 376

_POSE = "7f"  # on the wire: quaternion (x, y, z, w) then position (x, y, z)
_VIEW = "4f" + _POSE + "I"  # fov (left, right, up, down), pose, padding
_HEAD = _VIEW * 2 + _POSE + "?3x"  # views, centre, per_view_data_valid, padding
_BUTTONS = (
    "system_click",
    "system_touch",
    "a_click",
    "a_touch",
    "b_click",
    "b_touch",
    "trigger_click",
    "trigger_touch",
    "thumbstick_click",
    "thumbstick_touch",
    "trackpad_touch",
)
# pose, linear and angular velocity, curls, trigger, squeeze value and force,
# thumbstick (2), trackpad force, trackpad (2), then 2 + 11 bools and 3 padding.
_CONTROLLER = _POSE + "3f3f5f" + "3f2ff2f" + "??" + "?" * len(_BUTTONS) + "3x"
_FORMAT = struct.Struct("<8s" + _HEAD + _CONTROLLER * 2)
assert _FORMAT.size == PACKET_SIZE

#: Monado orders the curls little, ring, middle, index, thumb; vrtrainer uses
#: FINGER_NAMES (thumb .. little): wire slot i holds finger _CURL_ORDER[i].
_CURL_ORDER = tuple(FINGER_NAMES.index(n) for n in ("little", "ring", "middle", "index", "thumb"))


class RemoteFeederError(VrtrainerError):
    """The remote driver could not be reached or sent something unexpected."""


Pose = tuple[float, float, float, float, float, float, float]
IDENTITY: Pose = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0)


@dataclass
class RemoteController:
    """One controller/hand of the remote driver.

    ``curls`` are in vrtrainer's finger order (thumb, index, middle, ring,
    little), 0 = straight, 1 = fully curled. ``active`` makes the controller
    tracked; ``hand_tracking_active`` makes its hand joints active.
    """

    pose: Pose = IDENTITY
    linear_velocity: tuple[float, float, float] = (0.0, 0.0, 0.0)
    angular_velocity: tuple[float, float, float] = (0.0, 0.0, 0.0)
    curls: tuple[float, float, float, float, float] = (0.0, 0.0, 0.0, 0.0, 0.0)
    trigger: float = 0.0
    squeeze: float = 0.0
    squeeze_force: float = 0.0
    thumbstick: tuple[float, float] = (0.0, 0.0)
    trackpad_force: float = 0.0
    trackpad: tuple[float, float] = (0.0, 0.0)
    hand_tracking_active: bool = True
    active: bool = True
    buttons: dict[str, bool] = field(default_factory=dict)

    def _fields(self) -> list:
        unknown = set(self.buttons) - set(_BUTTONS)
        if unknown:
            raise RemoteFeederError(
                f"unknown remote button(s) {sorted(unknown)}; known: {', '.join(_BUTTONS)}"
            )
        p = self.pose
        return [
            *p[3:7], *p[0:3],
            *self.linear_velocity, *self.angular_velocity,
            *(float(self.curls[f]) for f in _CURL_ORDER),
            self.trigger, self.squeeze, self.squeeze_force,
            *self.thumbstick, self.trackpad_force, *self.trackpad,
            self.hand_tracking_active, self.active,
            *(bool(self.buttons.get(b, False)) for b in _BUTTONS),
        ]  # fmt: skip

    @classmethod
    def _from_fields(cls, v: tuple) -> RemoteController:
        curls = [0.0] * 5
        for slot, finger in enumerate(_CURL_ORDER):
            curls[finger] = v[13 + slot]
        return cls(
            pose=(*v[4:7], *v[0:4]),
            linear_velocity=tuple(v[7:10]),
            angular_velocity=tuple(v[10:13]),
            curls=(curls[0], curls[1], curls[2], curls[3], curls[4]),
            trigger=v[18],
            squeeze=v[19],
            squeeze_force=v[20],
            thumbstick=tuple(v[21:23]),
            trackpad_force=v[23],
            trackpad=tuple(v[24:26]),
            hand_tracking_active=v[26],
            active=v[27],
            buttons={b: v[28 + i] for i, b in enumerate(_BUTTONS) if v[28 + i]},
        )


_CONTROLLER_FIELDS = 28 + len(_BUTTONS)


@dataclass
class RemoteView:
    """One eye as the remote driver takes it: fov angles and pose relative to the head."""

    fov: tuple[float, float, float, float] = (-0.8, 0.8, 0.8, -0.8)  # left, right, up, down
    pose: Pose = IDENTITY


@dataclass
class RemoteData:
    """A whole packet: head, optional per-view data, left and right controllers."""

    head: Pose = (0.0, 1.6, 0.0, 0.0, 0.0, 0.0, 1.0)
    views: tuple[RemoteView, RemoteView] = field(
        default_factory=lambda: (RemoteView(), RemoteView())
    )
    per_view_data_valid: bool = False
    left: RemoteController = field(default_factory=RemoteController)
    right: RemoteController = field(default_factory=RemoteController)

    def pack(self) -> bytes:
        """The 376-byte wire form of this packet."""
        fields: list = [HEADER]
        for view in self.views:
            fields += [*view.fov, *view.pose[3:7], *view.pose[0:3], 0]
        fields += [*self.head[3:7], *self.head[0:3], self.per_view_data_valid]
        fields += self.left._fields() + self.right._fields()
        return _FORMAT.pack(*fields)

    @classmethod
    def unpack(cls, data: bytes) -> RemoteData:
        """Decode a packet, refusing a wrong size or another protocol's header."""
        if len(data) != PACKET_SIZE:
            raise RemoteFeederError(f"remote packet of {len(data)} bytes, expected {PACKET_SIZE}")
        v = _FORMAT.unpack(data)
        # Monado 25.0 sends its own state with the header left zero.
        if v[0] not in (HEADER, bytes(8)):
            raise RemoteFeederError(f"remote packet header {v[0]!r}, expected {HEADER!r}")
        views = []
        for i in range(2):
            w = v[1 + 12 * i : 13 + 12 * i]
            views.append(RemoteView(fov=tuple(w[0:4]), pose=(*w[8:11], *w[4:8])))
        h = v[25:32]
        c = 33
        return cls(
            head=(*h[4:7], *h[0:4]),
            views=(views[0], views[1]),
            per_view_data_valid=v[32],
            left=RemoteController._from_fields(v[c : c + _CONTROLLER_FIELDS]),
            right=RemoteController._from_fields(
                v[c + _CONTROLLER_FIELDS : c + 2 * _CONTROLLER_FIELDS]
            ),
        )


class RemoteFeeder:
    """A connection to Monado's remote driver that sends whole-state packets.

    >>> with RemoteFeeder.connect() as feeder:        # doctest: +SKIP
    ...     state = feeder.initial
    ...     state.right.curls = (0, 1, 0, 0, 0)        # curl the index finger
    ...     feeder.send(state)
    """

    def __init__(self, sock: socket.socket, initial: RemoteData) -> None:
        self._sock = sock
        #: The runtime's state when we connected (its latest packet).
        self.initial = initial

    @classmethod
    def connect(
        cls, host: str = "127.0.0.1", port: int = DEFAULT_PORT, timeout: float = 10.0
    ) -> RemoteFeeder:
        """Connect, retrying until the driver listens or ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                sock = socket.create_connection((host, port), timeout=timeout)
                break
            except OSError as exc:
                if time.monotonic() >= deadline:
                    raise RemoteFeederError(
                        f"cannot reach Monado's remote driver at {host}:{port}: {exc} "
                        "(is monado-service running with P_OVERRIDE_ACTIVE_CONFIG=remote?)"
                    ) from exc
                time.sleep(0.1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            RemoteData.unpack(_recv_exact(sock, PACKET_SIZE))  # the driver's reset state
            latest = RemoteData.unpack(_recv_exact(sock, PACKET_SIZE))
        except (OSError, RemoteFeederError):
            sock.close()
            raise
        return cls(sock, latest)

    def send(self, data: RemoteData) -> None:
        """Make ``data`` the runtime's current state (it applies from the next poll on)."""
        try:
            self._sock.sendall(data.pack())
        except OSError as exc:
            raise RemoteFeederError(f"remote driver connection lost: {exc}") from exc

    def close(self) -> None:
        """Disconnect; the runtime keeps the last state it received."""
        self._sock.close()

    def __enter__(self) -> RemoteFeeder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    buf = bytearray()
    while len(buf) < size:
        chunk = sock.recv(size - len(buf))
        if not chunk:
            raise RemoteFeederError(
                f"remote driver closed the connection after {len(buf)} of {size} bytes"
            )
        buf += chunk
    return bytes(buf)
