package org.dumm.api;

import java.util.List;

/**
 * What a template changes for one guest, relative to the guest's own root below it. Paths are
 * absolute inside the guest ({@code /etc/hosts}).
 *
 * @param guest   guest name
 * @param added   files and directories the template adds
 * @param changed files it replaces
 * @param deleted files it hides (overlay whiteouts)
 */
public record TemplateDiff(String guest, List<String> added, List<String> changed, List<String> deleted) {
    public TemplateDiff {
        added = List.copyOf(added);
        changed = List.copyOf(changed);
        deleted = List.copyOf(deleted);
    }
}
