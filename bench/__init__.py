"""The benchmark suite: a generator of realistic organisations and the runner that measures them."""
