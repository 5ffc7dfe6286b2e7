"""govmomi's vCenter simulator, built from Debian packages and run as a child process.

``build.ensure_vcsim_binary()`` compiles ``main.go``; ``process.VcsimProcess`` runs it.
"""
