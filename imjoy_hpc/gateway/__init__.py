"""The gateway: front door for browsers and scripts, plugin door for plugin processes, and the RPC hub between them."""
