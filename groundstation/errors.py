"""The station's exceptions, one tree rooted at :class:`GroundStationError`.

Domain code raises these; the API maps them to HTTP statuses in one handler and the CLI prints
their message and exits non-zero. A plan that cannot be made is route planning's own
`routes.errors.PlanningError` (a ``ValueError``), which the same handler answers with 422.
Every error carries structured fields, not just text::

    GroundStationError
    ├── LinkError                        MAVLink transport and vehicle-link problems
    │   ├── InvalidLinkUrl (ValueError)  a connection URL that cannot be parsed
    │   ├── UnknownVehicle (KeyError)    no vehicle with that system id has been heard
    │   ├── VehicleHeld                  commands to the vehicle held (address change, not enrolled)
    │   ├── LinkTimeout                  nothing came back in time
    │   ├── CommandError                 a COMMAND_LONG / COMMAND_INT did not succeed
    │   │   ├── CommandRejected          MAV_RESULT_TEMPORARILY_REJECTED / FAILED / CANCELLED ...
    │   │   ├── CommandDenied            MAV_RESULT_DENIED
    │   │   ├── CommandUnsupported       MAV_RESULT_UNSUPPORTED
    │   │   └── CommandTimeout (LinkTimeout)   no COMMAND_ACK after every retry
    │   └── UnknownMode (ValueError)     a flight-mode name the vehicle's autopilot does not have
    ├── MissionError                     the mission protocol (mission, fence, rally)
    │   ├── MissionUploadError           the vehicle refused or the upload broke off
    │   ├── MissionDownloadError         the vehicle's list could not be read
    │   ├── MissionVerifyError           read back differs from what was sent
    │   └── MissionTimeout (LinkTimeout) the vehicle stopped answering mid-transfer
    ├── ConfigError (ValueError)         a setting that cannot be used (bad database URL ...)
    ├── StoreError                       a database file that cannot be used (empty, damaged)
    ├── EvidenceError                    the audit chain or an evidence packet failed a check
    │   └── AuditChainBroken             audit rows changed, removed or inserted: not signed
    └── ServiceError                     a refused API request; ``status`` is its HTTP status
        ├── NotAuthenticated             401: no token, a bad or expired one, wrong password
        ├── PermissionDenied             403: the user's role may not do this
        │   └── PasswordChangeRequired   403: a password an admin set must be changed first
        ├── NotFound (LookupError)       404: no such user, vehicle, incident ...
        ├── Conflict                     409: duplicate name, wrong state for the request
        ├── InvalidRequest (ValueError)  422: valid JSON but not acceptable (e.g. assignee role)
        ├── PayloadTooLarge              413: an upload over the size limit
        ├── UnsupportedMediaType         415: an upload that is not an accepted image
        ├── InvalidOffer (ValueError)    400: a WebRTC (WHEP) SDP offer that cannot be read
        │   └── NoCommonCodec            406: an offer without H.264 (the cameras' codec)
        ├── ViewerLimit                  503: every WebRTC viewer place is taken
        ├── FederationOff                503: the station has not joined a command centre
        ├── StoredFileDamaged            409: stored bytes that no longer match their hash
        └── TooManyRequests              429: logins throttled or locked (``retry_after_s``)
"""

from __future__ import annotations

from collections.abc import Sequence


class GroundStationError(Exception):
    """Base of every error the station raises on purpose."""


# --- link ----------------------------------------------------------------------------------------


class LinkError(GroundStationError):
    """A problem on a MAVLink link or with a vehicle reached through one."""


class InvalidLinkUrl(LinkError, ValueError):
    """A connection URL such as ``udpin:0.0.0.0:14550`` that cannot be parsed."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"invalid link URL {url!r}: {reason}")


class UnknownVehicle(LinkError, KeyError):
    """No vehicle with this system id has sent a heartbeat on any link."""

    def __init__(self, sysid: int) -> None:
        self.sysid = sysid
        super().__init__(sysid)

    def __str__(self) -> str:
        return f"no vehicle with system id {self.sysid} has been heard"


class VehicleHeld(LinkError):
    """Nothing is sent to this vehicle for now: its address changed and no pilot confirmed the
    new one, or the station requires signing and the vehicle is not enrolled (``reason``)."""

    def __init__(self, sysid: int, reason: str) -> None:
        self.sysid = sysid
        self.reason = reason
        super().__init__(f"vehicle {sysid}: commands held: {reason}")


class LinkTimeout(LinkError, TimeoutError):
    """The vehicle did not answer within the allowed time."""


class CommandError(LinkError):
    """A MAV_CMD was not carried out; carries the command, its parameters and the result."""

    def __init__(
        self,
        sysid: int,
        command: int,
        command_name: str,
        params: Sequence[float],
        result: int | None,
        result_name: str,
        reason: str = "",
    ) -> None:
        self.sysid = sysid
        self.command = command
        self.command_name = command_name
        self.params = tuple(params)
        self.result = result
        self.result_name = result_name
        self.reason = reason
        text = f"vehicle {sysid}: {command_name} -> {result_name}"
        if reason:
            text += f" ({reason})"
        super().__init__(text)


class CommandRejected(CommandError):
    """The vehicle refused the command for now (temporarily rejected, failed, cancelled)."""


class CommandDenied(CommandError):
    """The vehicle denied the command (MAV_RESULT_DENIED)."""


class CommandUnsupported(CommandError):
    """The vehicle does not support the command (MAV_RESULT_UNSUPPORTED)."""


class CommandTimeout(CommandError, LinkTimeout):
    """No COMMAND_ACK arrived after every retry."""


class UnknownMode(LinkError, ValueError):
    """A flight-mode name that the vehicle's autopilot does not have."""

    def __init__(self, name: str, autopilot: str, known: Sequence[str]) -> None:
        self.name = name
        self.autopilot = autopilot
        self.known = tuple(known)
        super().__init__(f"unknown {autopilot} mode {name!r}; known: {', '.join(self.known)}")


# --- mission protocol ----------------------------------------------------------------------------


class MissionError(GroundStationError):
    """A mission, fence or rally transfer did not complete.

    ``vehicle_count`` says what the vehicle holds afterwards when the station could find out
    (the number of items of ``mission_type`` it reported), else ``None``.
    """

    def __init__(
        self,
        sysid: int,
        mission_type: str,
        reason: str,
        result_name: str = "",
        vehicle_count: int | None = None,
    ) -> None:
        self.sysid = sysid
        self.mission_type = mission_type
        self.reason = reason
        self.result_name = result_name
        self.vehicle_count = vehicle_count
        text = f"vehicle {sysid} {mission_type}: {reason}"
        if vehicle_count is not None:
            text += f"; the vehicle now holds {vehicle_count} {mission_type} item(s)"
        super().__init__(text)


class MissionUploadError(MissionError):
    """The vehicle refused the upload (MISSION_ACK error) or it broke off."""


class MissionDownloadError(MissionError):
    """The vehicle's list could not be read."""


class MissionVerifyError(MissionError):
    """The list read back from the vehicle differs from the one uploaded."""


class MissionTimeout(MissionError, LinkTimeout):
    """The vehicle stopped answering during a mission transfer."""


# --- configuration and service requests ----------------------------------------------------------


class ConfigError(GroundStationError, ValueError):
    """A setting that cannot be used, such as a database URL with an unknown backend."""


class StoreError(GroundStationError):
    """The database cannot be used as the station's store: empty where a station was, damaged,
    not a database. The message is one line naming the file and what to do."""


class ServiceError(GroundStationError):
    """A request the station refuses; ``status`` is the HTTP status the API answers with."""

    status: int = 400

    def __init__(self, message: str, **fields: object) -> None:
        self.message = message
        self.fields = fields
        super().__init__(message)


class NotAuthenticated(ServiceError):
    """No valid credentials: missing, malformed or expired token, or a wrong password."""

    status = 401


class PermissionDenied(ServiceError):
    """The authenticated user's role does not allow the request."""

    status = 403


class PasswordChangeRequired(PermissionDenied):
    """The user signs in with a password an admin set (a reset, a generated one): until they
    choose their own (``POST /api/auth/password``) their token allows nothing else.

    ``fields["code"]`` is ``password_change_required``, the page's cue to ask for a new one.
    """

    CODE = "password_change_required"

    def __init__(self) -> None:
        super().__init__(
            "password change required: choose your own password first (POST /api/auth/password)",
            code=self.CODE,
        )


class NotFound(ServiceError, LookupError):
    """The request names something that does not exist (``kind``, ``key``)."""

    status = 404

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"no {kind} {key!r}", kind=kind, key=key)


class Conflict(ServiceError):
    """The request clashes with what is stored (a duplicate, or the wrong state)."""

    status = 409


class InvalidRequest(ServiceError, ValueError):
    """A well-formed request whose content cannot be accepted (``field``, ``reason``)."""

    status = 422


class PayloadTooLarge(ServiceError):
    """An upload larger than the configured limit (``size_bytes``, ``limit_bytes``)."""

    status = 413


class UnsupportedMediaType(ServiceError):
    """An upload whose content is not one of the accepted image formats."""

    status = 415


class InvalidOffer(ServiceError, ValueError):
    """A WebRTC offer (WHEP) that is not a usable SDP offer for a video stream (``reason``)."""

    status = 400


class NoCommonCodec(InvalidOffer):
    """A WebRTC offer whose browser cannot receive H.264, the codec the cameras send."""

    status = 406


class ViewerLimit(ServiceError):
    """Every WebRTC viewer place (``max_sessions``) is taken: the page falls back to MSE."""

    status = 503


class FederationOff(ServiceError):
    """The request needs the federation (``federation.enabled``) and this station is not in
    one: no neighbour to hand a drone to."""

    status = 503


class TooManyRequests(ServiceError):
    """Too many failed logins: wait ``retry_after_s`` seconds (sent as ``Retry-After``)."""

    status = 429


# --- evidence ------------------------------------------------------------------------------------


class EvidenceError(GroundStationError):
    """The audit chain or an evidence packet failed a check; ``fields`` say which part."""

    def __init__(self, message: str, **fields: object) -> None:
        self.fields = fields
        super().__init__(message)


class AuditChainBroken(EvidenceError):
    """The audit rows no longer chain (changed, removed or inserted rows): nothing is signed."""


class StoredFileDamaged(ServiceError):
    """409: a stored file's bytes no longer match the hash recorded when it was collected
    (``attachment_id``, ``recorded_sha256``, ``sha256``); it is never served as if intact."""

    status = 409
