package org.dumm.core.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import org.dumm.api.DummEvents;
import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.GuestState;
import org.dumm.api.KernelModules;
import org.dumm.api.Master;
import org.dumm.api.MasterRequest;
import org.dumm.api.Progress;
import org.dumm.api.Template;
import org.dumm.api.TemplateDiff;
import org.dumm.api.spi.GuestBackend;
import org.dumm.api.spi.GuestHandle;
import org.dumm.api.spi.GuestRoot;
import org.dumm.api.spi.TemplateStore;
import org.dumm.api.spi.UnionFs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The layers a guest's root is made of — its master, the loaded template, its own diff and its
 * backend's boot layer — and the operations on masters and templates. A template switch holds
 * every guest's lock (see {@link MeshModel}), so it never races with a guest starting or stopping.
 */
final class RootLayers {

    private static final Logger LOG = LoggerFactory.getLogger(RootLayers.class);

    private final Path workDir;
    private final MeshModel model;
    private final MeshEvents events;
    private final MasterStore masters;
    /** Masters a master-exec is changing right now: no guest on them may start meanwhile. */
    private final Set<String> mastersInUpdate = ConcurrentHashMap.newKeySet();
    private final TemplateStore templates;
    private final UnionFs unionFs;
    private final Supplier<MeshManager.Config> config;

    RootLayers(Path workDir, MeshModel model, MeshEvents events, TemplateStore templates, UnionFs unionFs,
               Supplier<MeshManager.Config> config) {
        this.workDir = workDir;
        this.model = model;
        this.events = events;
        this.masters = new MasterStore(workDir);
        this.templates = templates;
        this.unionFs = unionFs;
        this.config = config;
    }

    TemplateStore templates() {
        return templates;
    }

    /**
     * The directories of a guest's root; the boot layer and the kernel's layer are prepared on the
     * way when there is a backend.
     */
    GuestRoot rootFor(GuestRecord r, GuestBackend backend) {
        Path dir = model.store().guestDir(r.name());
        Path master = masters.dir(r.master());
        Path boot = null;
        Path kernelLayer = null;
        if (backend != null) {
            boot = backend.bootLayer(workDir);
            Optional<KernelModules> modules = modulesOf(r, backend);
            if (modules.isPresent()) {
                kernelLayer = backend.kernelLayer(workDir, modules.get(), master);
            }
        }
        return new GuestRoot(r.name(), master, dir.resolve("diff"), dir.resolve("work"), dir.resolve("union"), boot,
                kernelLayer);
    }

    /**
     * The modules a guest's kernel gives it: its own directory, else the configured one, else
     * what the backend finds; {@value #NO_MODULES} for none.
     */
    Optional<KernelModules> modulesOf(GuestRecord r, GuestBackend backend) {
        String named = r.modules() != null ? r.modules() : config.get().defaultModules();
        if (NO_MODULES.equals(named)) {
            return Optional.empty();
        }
        return backend.kernelModules(Path.of(r.kernel()), named == null || named.isBlank() ? null : Path.of(named));
    }

    /** A guest's or the default modules setting that gives a guest no modules layer. */
    static final String NO_MODULES = "none";

    /** Roots of guests whose root is mounted now (running ones); stopped guests pick the stack up at boot. */
    private List<GuestRoot> mountedRoots() {
        List<GuestRoot> roots = new ArrayList<>();
        for (GuestEntry e : model.entries()) {
            GuestBackend b = model.backends().get(e.record.backend());
            Path union = model.store().guestDir(e.name).resolve("union");
            if (b != null && unionFs.isMounted(union)) {
                roots.add(rootFor(e.record, b));
            }
        }
        return roots;
    }

    // ---- masters -------------------------------------------------------------------------------

    /** NOT_FOUND unless the master exists; the default busybox master is built on first use. */
    void ensureMaster(String master) {
        if (masters.exists(master)) {
            return;
        }
        if (master.equals(config.get().defaultMaster()) && master.equals("busybox")) {
            masters.create(new MasterRequest(master, MasterRequest.Kind.BUSYBOX, null, List.of()),
                    line -> LOG.info("default master: {}", line));
            return;
        }
        throw new DummException(Reason.NOT_FOUND, "master '" + master + "' does not exist in " + masters.dir(master).getParent()
                + " (create it with dumm:master-create)");
    }

    List<Master> masters() {
        return masters.list();
    }

    Master createMaster(MasterRequest request, Progress progress) {
        return masters.create(request, progress);
    }

    Master importMaster(String name, Path source, Progress progress) {
        return masters.importRoot(name, source, progress);
    }

    /** Deletes a master no guest is defined on (checked under the model lock, so none appears meanwhile). */
    void deleteMaster(String name) {
        model.locked(() -> {
            if (!masters.exists(name)) {
                throw new DummException(Reason.NOT_FOUND, "master '" + name + "' does not exist");
            }
            List<String> users = guestsOn(name, false);
            if (!users.isEmpty()) {
                throw new DummException(Reason.INVALID_STATE, "master '" + name + "' is used by " + String.join(", ", users)
                        + ": delete those guests first");
            }
            masters.delete(name);
            return null;
        });
    }

    /**
     * Runs a command in a master while none of its guests runs. The master is marked as in
     * update first and its guests checked after, while a start marks its guest STARTING first and
     * checks the mark after ({@link #checkMasterNotInUpdate}): of two racing, one sees the other.
     */
    int execInMaster(String name, String commandLine, Progress output) {
        if (!masters.exists(name)) {
            throw new DummException(Reason.NOT_FOUND, "master '" + name + "' does not exist");
        }
        if (!mastersInUpdate.add(name)) {
            throw new DummException(Reason.INVALID_STATE, "master '" + name + "' is being updated already");
        }
        try {
            List<String> running = guestsOn(name, true);
            if (!running.isEmpty()) {
                throw new DummException(Reason.INVALID_STATE, "master '" + name + "' is in use by running guests "
                        + String.join(", ", running) + ": stop them first (a mounted guest would not see the change)");
            }
            return masters.exec(name, commandLine, output);
        } finally {
            mastersInUpdate.remove(name);
        }
    }

    void checkMasterNotInUpdate(String master) {
        if (mastersInUpdate.contains(master)) {
            throw new DummException(Reason.INVALID_STATE, "master '" + master + "' is being updated (master-exec): try again when it is done");
        }
    }

    /** Guests defined on a master; with {@code runningOnly} those whose root may be mounted. */
    private List<String> guestsOn(String master, boolean runningOnly) {
        List<String> users = new ArrayList<>();
        for (GuestEntry e : model.entries()) {
            if (e.record.master().equals(master)
                    && (!runningOnly || (e.state != GuestState.STOPPED && e.state != GuestState.CRASHED))) {
                users.add(e.name);
            }
        }
        return users;
    }

    // ---- templates -----------------------------------------------------------------------------

    Template createTemplate(String name) {
        return templates.create(name);
    }

    void deleteTemplate(String name) {
        templates.delete(name);
    }

    Template loadTemplate(String name) {
        return model.withAllGuestsLocked(() -> {
            List<GuestRoot> roots = mountedRoots();
            Template t = templates.load(name, roots);
            try {
                guestsTakeTheirRoots(roots);
            } catch (DummException e) {
                undoSwitch(roots, e, () -> templates.unload(roots));
                throw new DummException(e.reason(), "template '" + name + "' is not loaded: " + e.getMessage(), e);
            }
            events.post(DummEvents.TEMPLATE_LOADED, name, Map.of());
            return t;
        });
    }

    void unloadTemplate() {
        model.withAllGuestsLocked(() -> {
            Optional<String> loaded = templates.loaded();
            if (loaded.isEmpty()) {
                throw new DummException(Reason.INVALID_STATE, "no template is loaded");
            }
            List<GuestRoot> roots = mountedRoots();
            templates.unload(roots);
            try {
                guestsTakeTheirRoots(roots);
            } catch (DummException e) {
                undoSwitch(roots, e, () -> templates.load(loaded.get(), roots));
                throw new DummException(e.reason(), "template '" + loaded.get() + "' is still loaded: " + e.getMessage(), e);
            }
            events.post(DummEvents.TEMPLATE_UNLOADED, loaded.get(), Map.of());
            return null;
        });
    }

    /**
     * Tells each running guest that the host switched its root (a guest with a mount namespace of
     * its own must take the new mount, see {@link org.dumm.api.spi.GuestHandle#rootSwitched}).
     * The first failure is thrown after every guest was tried, so that the undo below finds each
     * either switched or on its old root.
     */
    private void guestsTakeTheirRoots(List<GuestRoot> roots) {
        DummException first = null;
        for (GuestRoot r : roots) {
            GuestEntry e = model.find(r.guest());
            GuestHandle h = e == null ? null : e.handle;
            if (h == null) {
                continue;
            }
            try {
                h.rootSwitched(r.union());
            } catch (DummException ex) {
                if (first == null) {
                    first = ex;
                } else {
                    first.addSuppressed(ex);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Switches the hosts' mounts back and lets the guests follow; what fails on the way is attached to {@code cause}. */
    private void undoSwitch(List<GuestRoot> roots, DummException cause, Runnable switchBack) {
        try {
            switchBack.run();
            guestsTakeTheirRoots(roots);
        } catch (RuntimeException again) {
            cause.addSuppressed(again);
        }
    }

    Optional<Template> loadedTemplate() {
        return templates.loaded().flatMap(templates::get);
    }

    List<Template> listTemplates() {
        return templates.list();
    }

    List<TemplateDiff> diffTemplate(String name) {
        List<GuestRoot> roots = new ArrayList<>();
        for (GuestEntry e : model.entries()) {
            roots.add(rootFor(e.record, model.backends().get(e.record.backend())));
        }
        return templates.diff(name, roots);
    }

    void exportTemplate(String name, Path archive) {
        templates.export(name, archive);
    }

    Template importTemplate(String name, Path archive) {
        return templates.importArchive(name, archive);
    }
}
