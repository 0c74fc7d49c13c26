"""Pure sign-in logic: no web framework, no I/O of its own."""
