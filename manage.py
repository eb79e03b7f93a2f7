#!/usr/bin/env python
from techalign.cli import main

if __name__ == "__main__":
    main()
