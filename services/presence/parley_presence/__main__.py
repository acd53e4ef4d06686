from parley.settings import load_settings
from parley_presence.app import build_service
from parley_presence.settings import PresenceSettings


def main() -> None:
    build_service(load_settings(PresenceSettings)).run()


if __name__ == "__main__":
    main()
