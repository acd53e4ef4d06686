/* The /widget/parley-client.js bundle's entry: the client alone as a classic script (docs/client.md). */
import { exposeClient } from "./global.js";

exposeClient();
