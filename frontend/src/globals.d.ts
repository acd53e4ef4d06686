// What the browser code adds to the page's window (client/global.js, widget/widget.js).
interface Window {
  Parley: any;
}
