// 打印 / 导出PDF: the browser's print (the page's print stylesheet leaves the tables only).
for (const button of document.querySelectorAll("button[data-print]")) {
  button.addEventListener("click", () => window.print());
}
