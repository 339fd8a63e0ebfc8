"""``python -m gtm_core``: the ``gtm`` command, for environments without the console script."""

from .cli import main

if __name__ == "__main__":
    main()
