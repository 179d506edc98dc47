"""Allow ``python -m appaudit``."""

from appaudit.cli import main

if __name__ == "__main__":
    main()
