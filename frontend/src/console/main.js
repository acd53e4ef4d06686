/* The console bundle's entry (/console/console.js): the app starts when the module runs. */
import "./console-app.js";
