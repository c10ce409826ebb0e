"""The gateway: the RPC hub between browsers and scripts (on the front door) and plugin processes (on the plugin
door). The doors themselves, and the connections on them, are imjoy_hpc.transport's; this package is what the
gateway does with them: the process (`app.py`; `daemon.py` in the background, `embedded.py` for headless runs), the
API each client session gets (`client_api.py`, `imjoy_interface.py`, `browse.py`), plugin instances (`instances.py`,
`lifecycle.py`) and their renewals (`renewals.py`), workspaces (`workspaces.py`), arrays read over HTTP
(`zarr_store.py`, `fetch_arrays.py`), the HTTP routes of the front door (`http.py`, `challenge.py`,
`file_uploads.py`), tokens (`auth.py`), the imjoy-hpc engine for ImJoy apps (`engine/`) and the pages (`static/`)."""
