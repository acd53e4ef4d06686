from parley.settings import load_settings
from parley_gateway.app import build_service
from parley_gateway.settings import GatewaySettings


def main() -> None:
    build_service(load_settings(GatewaySettings)).run()


if __name__ == "__main__":
    main()
