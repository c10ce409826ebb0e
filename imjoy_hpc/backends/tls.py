"""Private TLS credentials per cluster: scheduler, workers and our clients authenticate each other.

On a shared login node anyone can connect to a plain-TCP Dask scheduler and run code as its owner; with these
credentials only holders of the 0600 key files (the gateway, its jobs, its plugin processes) can.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from imjoy_hpc.files import private_dir, write_atomic


def make_security(directory: Path) -> Any:
    """A distributed.Security backed by a fresh self-signed key/cert written 0600 into `directory` (0700)."""
    from distributed.security import Security

    private_dir(directory)
    os.chmod(directory, 0o700)  # also when it was there already
    temp = Security.temporary()
    paths = {}
    for name, text in (("ca.pem", temp.tls_ca_file), ("cert.pem", temp.tls_client_cert),
                       ("key.pem", temp.tls_client_key)):
        path = directory / name
        write_atomic(path, text)
        paths[name] = str(path)
    roles = {}
    for role in ("client", "scheduler", "worker"):
        roles[f"tls_{role}_cert"] = paths["cert.pem"]
        roles[f"tls_{role}_key"] = paths["key.pem"]
    return Security(require_encryption=True, tls_ca_file=paths["ca.pem"], **roles)


def client_env(security: Any) -> dict[str, str]:
    """Environment variables that let a separate process (a plugin) connect with `security`'s client role."""
    if security is None:
        return {}
    return {
        "DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION": "True",
        "DASK_DISTRIBUTED__COMM__TLS__CA_FILE": security.tls_ca_file,
        "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT": security.tls_client_cert,
        "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY": security.tls_client_key,
    }
