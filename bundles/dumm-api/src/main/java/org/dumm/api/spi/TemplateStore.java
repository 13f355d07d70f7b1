package org.dumm.api.spi;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

import org.dumm.api.Template;
import org.dumm.api.TemplateDiff;

/**
 * Template (scenario) layers on disk, {@code templates/<template>/<guest>/}, and which one is
 * loaded. Loading swaps every given guest's root stack live through {@link UnionFs}.
 */
public interface TemplateStore {

    /** All templates. */
    List<Template> list();

    /** One template, if it exists. */
    Optional<Template> get(String name);

    /** Creates an empty template. ALREADY_EXISTS, INVALID_ARGUMENT. */
    Template create(String name);

    /** Deletes a template and its layers; INVALID_STATE while loaded. */
    void delete(String name);

    /** The directory of {@code guest}'s layer in {@code template} (created on demand). */
    Path layerDir(String template, String guest);

    /** The loaded template's name, if any (persisted across restarts). */
    Optional<String> loaded();

    /**
     * The stack a guest's root should have now: boot layer, then the loaded template's layer as
     * upper with the diff below it, or the diff as upper when nothing is loaded; then the kernel
     * layer, if any; master last.
     * The work dir is {@code <workBase>/0} for a root that is not mounted, else the next number
     * no work dir under {@code workBase} has yet (the replaced stack may still hold its own).
     */
    LayerStack stackFor(GuestRoot root);

    /**
     * Loads {@code template} and switches the roots of the given (mounted) guests live. If one
     * switch fails the ones done are switched back and the template is not loaded.
     */
    Template load(String template, Collection<GuestRoot> mountedRoots);

    /** Unloads the loaded template, switching the given guests back to their diffs. */
    void unload(Collection<GuestRoot> mountedRoots);

    /**
     * Added / changed / deleted files per guest that has a layer, relative to what is below the
     * template (the given root's boot layer, diff and master). Directories end in '/'. For a
     * guest without a given root, every entry counts as added and every whiteout as deleted.
     */
    List<TemplateDiff> diff(String template, Collection<GuestRoot> roots);

    /** Writes the template as tar.gz. */
    void export(String template, Path archive);

    /** Creates template {@code name} from a tar.gz made by {@link #export}. */
    Template importArchive(String name, Path archive);
}
