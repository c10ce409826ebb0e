-- Lmod modulefile for imjoy-hpc 0.1.0: `module load imjoy` puts `imjoy-hpc` on PATH and points it at the
-- site configuration. Set the two paths below (or let scripts/install-modulefile.sh write a filled-in copy),
-- then put this file at <modulefiles dir>/imjoy/0.1.0.lua.

local prefix      = "/opt/imjoy-hpc/0.1.0"              -- install prefix: PREFIX/bin holds imjoy-hpc
local site_config = "/etc/imjoy-hpc/imjoy-hpc.yaml"     -- site configuration (profiles, limits)

whatis("Name: imjoy-hpc")
whatis("Version: 0.1.0")
whatis("Description: run ImJoy Python plugins on this cluster from a browser, or in batch jobs")

help([[
imjoy-hpc 0.1.0: run ImJoy Python plugins on this cluster.

  imjoy-hpc serve                       the gateway; prints the token and the ssh -L line for your laptop
  imjoy-hpc run PLUGIN --output DIR     run a plugin headless here (or in the current job)
  imjoy-hpc submit PLUGIN --profile P --output DIR   run it in a batch job of profile P
  imjoy-hpc jobs                        your batch jobs and their states
  imjoy-hpc config                      the effective configuration (site config: $IMJOY_HPC_CONFIG)
]])

family("imjoy")
prepend_path("PATH", pathJoin(prefix, "bin"))
setenv("IMJOY_HPC_CONFIG", site_config)
