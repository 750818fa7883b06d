"""Background loops that start work: the dispatcher (push batches) and the sweeper."""
