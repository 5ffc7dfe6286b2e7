"""In-memory fakes of the ports workflows use (``workflows/ports.py``).

``tests/integration/test_ports_contract.py`` runs one suite against each fake and against the real
client on vcsim or the Fuel simulator, so what a fake does is what the real peer does.
"""
