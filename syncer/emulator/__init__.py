"""A local Shopify Admin GraphQL API (2026-04, 2026-07, 2026-10) for tests, demos and benchmarks.

It imports nothing from the rest of syncer, so the client is never tested against its own code.
The state file format is described in ``README.md`` next to this module.
"""

from syncer.emulator.clock import RealClock, VirtualClock
from syncer.emulator.faults import FaultConfig, FaultConfigError, Faults, ResponseLost
from syncer.emulator.handler import API_PATH, Emulator
from syncer.emulator.server import EmulatorServer, serve
from syncer.emulator.state import StateError

__all__ = ["API_PATH", "Emulator", "EmulatorServer", "FaultConfig", "FaultConfigError", "Faults",
           "RealClock", "ResponseLost", "StateError", "VirtualClock", "serve"]
