from parley.settings import load_settings
from parley_notification.app import build_service
from parley_notification.settings import NotificationSettings


def main() -> None:
    build_service(load_settings(NotificationSettings)).run()


if __name__ == "__main__":
    main()
