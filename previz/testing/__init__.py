"""Test helpers shipped for backend authors: the contract suite and in-process registration.

::

    from previz.testing import RemoteBackendContract, RemoteSetup

    class TestMyServiceContract(RemoteBackendContract):
        @pytest.fixture
        def contract(self, my_fake) -> RemoteSetup:
            return RemoteSetup(backend=..., job=..., inject=my_fake.inject)

The suite needs pytest (and pytest-asyncio in ``auto`` mode); previz itself does not import
this package.
"""

from previz.testing.contract import (
    FAULTS,
    LocalBackendContract,
    LocalSetup,
    RemoteBackendContract,
    RemoteSetup,
)
from previz.testing.registration import registered_backend

__all__ = [
    "FAULTS",
    "LocalBackendContract",
    "LocalSetup",
    "RemoteBackendContract",
    "RemoteSetup",
    "registered_backend",
]
