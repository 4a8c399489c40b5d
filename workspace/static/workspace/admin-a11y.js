'use strict';
/* Names for the search boxes that Django's autocomplete fields (select2) show instead of a
   <select> (WCAG 1.3.1, 4.1.2). select2 names its box after the current choice only — nothing
   while it is empty — and leaves the field's <label>, which points to the hidden <select>, out.
   Each box is named after that label (in table rows: the hidden label of the column,
   templates/admin/edit_inline/tabular.html) followed by the current choice. A field with several
   choices gets no "remove all" button: select2 puts it into its list (<ul>) as a <span>, and
   each choice has its own remove button anyway.

   Loaded with "defer": it runs after Django's autocomplete.js is loaded and before it sets up
   the fields (on jQuery's ready, and for each row added to an inline). */
{
    const $ = window.django && window.django.jQuery;
    let count = 0;

    const labelFor = (select) => {
        if (!select.id) {
            return null;
        }
        const label = document.querySelector(`label[for="${CSS.escape(select.id)}"]`);
        if (label && !label.id) {
            count += 1;
            label.id = `autocomplete-label-${count}`;
        }
        return label;
    };

    const name = (select) => {
        const container = select.nextElementSibling;
        const label = labelFor(select);
        if (!label || !container || !container.classList.contains('select2')) {
            return;
        }
        const selection = container.querySelector('.select2-selection');
        const rendered = container.querySelector('.select2-selection__rendered');
        if (select.multiple) {
            selection.setAttribute('aria-labelledby', label.id);
            const search = container.querySelector('.select2-search__field');
            if (search) {
                search.setAttribute('aria-labelledby', label.id);
            }
        } else {
            // The current choice is text inside the box, not a text field of its own.
            rendered.removeAttribute('role');
            rendered.removeAttribute('aria-readonly');
            const ids = [label.id, rendered.id].filter(Boolean).join(' ');
            selection.setAttribute('aria-labelledby', ids);
        }
    };

    if ($ && $.fn.djangoAdminSelect2) {
        const setUp = $.fn.djangoAdminSelect2;
        $.fn.djangoAdminSelect2 = function(...args) {
            this.each((i, select) => {
                if (select.multiple) {
                    select.dataset.allowClear = 'false';
                }
            });
            const result = setUp.apply(this, args);
            this.each((i, select) => name(select));
            return result;
        };
    }
}
