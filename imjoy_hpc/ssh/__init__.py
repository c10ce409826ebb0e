"""SSH from the laptop: resolve hosts like `ssh`, authenticate, check host keys, forward ports (paramiko).

config -> hop chain; auth/hostkeys/prompt -> logging in; client -> transports through jump hosts;
keepalive -> one connection kept up with reconnects; forward -> the local listener; gateway -> finding or starting the remote gateway.
"""
