"""The carrier behind the simulated ShipStation: every label gets a seeded tracking plan whose
scans are emitted on the simulated clock (see `tracker.CarrierSim`)."""
