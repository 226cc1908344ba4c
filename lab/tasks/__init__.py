"""invoke task modules; tasks.py at the top of the repository assembles them."""
