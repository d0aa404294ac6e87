"""The `rig` command line."""
def main() -> int:
    return 0
