/* Copy buttons for access keys shown once in admin messages.

   The key is in the page once only, in the element the button names (data-copy-target), so the
   button reads it from there. Where the clipboard API is refused (plain http, no permission),
   the key is selected instead so that Ctrl+C copies it. A <button> is reachable with Tab and
   pressed with Enter or Space, so this needs no keyboard handling of its own. */
"use strict";
{
    function selectContents(element) {
        const range = document.createRange();
        range.selectNodeContents(element);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
    }

    function announce(button, text) {
        const status = button.nextElementSibling;
        if (status && status.matches("[role=status]")) {
            status.textContent = text;
        }
    }

    async function copyKey(button) {
        const source = document.getElementById(button.dataset.copyTarget);
        if (!source) {
            return;
        }
        try {
            await navigator.clipboard.writeText(source.textContent.trim());
            announce(button, "Copied to the clipboard.");
        } catch (refused) {
            selectContents(source);
            announce(button, "Selected: press Ctrl+C to copy.");
        }
    }

    document.addEventListener("click", (event) => {
        const button = event.target.closest("button[data-copy-target]");
        if (button) {
            copyKey(button);
        }
    });
}
