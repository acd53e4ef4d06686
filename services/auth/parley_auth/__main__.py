from parley.settings import load_settings
from parley_auth.app import build_service
from parley_auth.settings import AuthSettings


def main() -> None:
    build_service(load_settings(AuthSettings)).run()


if __name__ == "__main__":
    main()
