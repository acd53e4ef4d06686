from parley.settings import load_settings
from parley_integrations.app import build_service
from parley_integrations.settings import IntegrationsSettings


def main() -> None:
    build_service(load_settings(IntegrationsSettings)).run()


if __name__ == "__main__":
    main()
