package org.dumm.templates.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.dumm.api.DummConfig;
import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.Names;
import org.dumm.api.Template;
import org.dumm.api.TemplateDiff;
import org.dumm.api.spi.GuestRoot;
import org.dumm.api.spi.LayerStack;
import org.dumm.api.spi.TemplateStore;
import org.dumm.api.spi.UnionFs;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;

/**
 * {@link TemplateStore} on disk: {@code <workDir>/templates/<template>/<guest>/} are the layers,
 * {@code <workDir>/templates/.loaded} names the loaded template (written atomically).
 *
 * <p>Work directories: a stack for a root that is not mounted gets {@code <workBase>/0}
 * (UnionFs clears it and removes older generations on that first mount); a stack that will
 * replace a mounted one gets the next unused number, because the replaced stack may live on,
 * lazily detached, as long as the guest holds files of it, and its work dir with it.
 */
@Component(service = TemplateStore.class, configurationPid = DummConfig.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
public final class FileTemplateStore implements TemplateStore {

    static final String LOADED_FILE = ".loaded";

    private final Path templatesDir;
    private final UnionFs unionFs;
    private final Object lock = new Object();
    private volatile String loaded;

    @Activate
    public FileTemplateStore(@Reference(name = "unionFs") UnionFs unionFs, Map<String, Object> properties) {
        this(new Setup(workDir(properties), unionFs));
    }

    /**
     * Other settings of the shared PID change without restarting the store (which would restart
     * the mesh that uses it); a new working directory applies when Dumm next starts.
     */
    @Modified
    void modified(Map<String, Object> properties) {
        Path wanted = workDir(properties).toAbsolutePath().normalize().resolve("templates");
        if (!wanted.equals(templatesDir)) {
            System.getLogger(FileTemplateStore.class.getName()).log(System.Logger.Level.WARNING,
                    "templates directory {0} applies when Dumm next starts; still using {1}", wanted, templatesDir);
        }
    }

    /** A store under {@code workDir} (tests and embedding without OSGi). */
    public static FileTemplateStore at(Path workDir, UnionFs unionFs) {
        return new FileTemplateStore(new Setup(workDir, unionFs));
    }

    /**
     * What both ways of making a store share. A record rather than a second two-argument
     * constructor: SCR picks the activation constructor by its arity, and would try (and log an
     * error for) a public one of the same arity with a Path in it.
     */
    private record Setup(Path workDir, UnionFs unionFs) {
    }

    private FileTemplateStore(Setup setup) {
        this.templatesDir = setup.workDir().toAbsolutePath().normalize().resolve("templates");
        this.unionFs = setup.unionFs();
        this.loaded = readLoaded();
    }

    static Path workDir(Map<String, Object> properties) {
        Object configured = properties == null ? null : properties.get(DummConfig.WORK_DIR);
        if (configured != null && !configured.toString().isBlank()) {
            return Path.of(configured.toString().trim());
        }
        String karafData = System.getProperty("karaf.data");
        return karafData != null ? Path.of(karafData, "dumm") : Path.of("data", "dumm").toAbsolutePath();
    }

    // ---- templates

    @Override
    public List<Template> list() {
        List<Template> result = new ArrayList<>();
        for (String name : names(templatesDir)) {
            result.add(new Template(name, names(templatesDir.resolve(name)), name.equals(loaded)));
        }
        return result;
    }

    @Override
    public Optional<Template> get(String name) {
        Names.check("template", name);
        Path dir = templatesDir.resolve(name);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        return Optional.of(new Template(name, names(dir), name.equals(loaded)));
    }

    @Override
    public Template create(String name) {
        Names.check("template", name);
        synchronized (lock) {
            try {
                Files.createDirectories(templatesDir);
                Files.createDirectory(templatesDir.resolve(name));
            } catch (FileAlreadyExistsException e) {
                throw new DummException(Reason.ALREADY_EXISTS, "template '" + name + "' already exists");
            } catch (IOException e) {
                throw hostError("creating template '" + name + "'", e);
            }
            return new Template(name, List.of(), false);
        }
    }

    @Override
    public void delete(String name) {
        synchronized (lock) {
            Path dir = existing(name);
            if (name.equals(loaded)) {
                throw new DummException(Reason.INVALID_STATE, "template '" + name + "' is loaded; unload it first");
            }
            // out of sight first, so a failure half way leaves no half template in the list
            Path doomed = templatesDir.resolve(".deleting-" + name + "-" + System.nanoTime());
            try {
                Files.move(dir, doomed, StandardCopyOption.ATOMIC_MOVE);
                Trees.delete(doomed);
            } catch (IOException e) {
                throw hostError("deleting template '" + name + "'", e);
            }
        }
    }

    @Override
    public Path layerDir(String template, String guest) {
        Names.check("guest", guest);
        Path dir = existing(template).resolve(guest);
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw hostError("creating layer " + dir, e);
        }
    }

    @Override
    public Optional<String> loaded() {
        return Optional.ofNullable(loaded);
    }

    // ---- stacks and switching

    @Override
    public LayerStack stackFor(GuestRoot root) {
        checkRoot(root);
        return stackFor(root, loaded);
    }

    private LayerStack stackFor(GuestRoot root, String template) {
        List<Path> lowers = new ArrayList<>();
        if (root.bootLayer() != null) {
            lowers.add(root.bootLayer());
        }
        Path upper;
        if (template == null) {
            upper = root.diff();
        } else {
            lowers.add(root.diff());
            upper = layerDir(template, root.guest());
        }
        if (root.kernelLayer() != null) {
            lowers.add(root.kernelLayer());
        }
        lowers.add(root.master());
        return new LayerStack(lowers, upper, nextWork(root));
    }

    private Path nextWork(GuestRoot root) {
        if (!unionFs.isMounted(root.union())) {
            return root.workBase().resolve("0");
        }
        int max = generation(unionFs.stackAt(root.union()).work());
        for (String name : entries(root.workBase())) {
            max = Math.max(max, generation(Path.of(name)));
        }
        return root.workBase().resolve(Integer.toString(max + 1));
    }

    private static int generation(Path work) {
        String n = work == null || work.getFileName() == null ? "" : work.getFileName().toString();
        return n.matches("[0-9]{1,9}") ? Integer.parseInt(n) : -1;
    }

    @Override
    public Template load(String template, Collection<GuestRoot> mountedRoots) {
        synchronized (lock) {
            Path dir = existing(template);
            if (loaded != null && !loaded.equals(template)) {
                throw new DummException(Reason.INVALID_STATE, "template '" + loaded + "' is loaded; unload it first");
            }
            List<GuestRoot> roots = checkMounted(mountedRoots);
            List<Path> newLayers = new ArrayList<>();
            for (GuestRoot r : roots) {
                if (!Files.exists(dir.resolve(r.guest()), LinkOption.NOFOLLOW_LINKS)) {
                    newLayers.add(dir.resolve(r.guest()));
                }
            }
            List<Switched> done = new ArrayList<>();
            try {
                for (GuestRoot r : roots) {
                    switchTo(r, stackFor(r, template), done);
                }
                writeLoaded(template);
            } catch (RuntimeException e) {
                rollback(done, e);
                for (Path layer : newLayers) {
                    removeIfEmpty(layer, e);
                }
                throw e;
            }
            loaded = template;
            return new Template(template, names(dir), true);
        }
    }

    @Override
    public void unload(Collection<GuestRoot> mountedRoots) {
        synchronized (lock) {
            if (loaded == null) {
                throw new DummException(Reason.INVALID_STATE, "no template is loaded");
            }
            List<GuestRoot> roots = checkMounted(mountedRoots);
            List<Switched> done = new ArrayList<>();
            try {
                for (GuestRoot r : roots) {
                    switchTo(r, stackFor(r, null), done);
                }
                writeLoaded(null);
            } catch (RuntimeException e) {
                rollback(done, e);
                throw e;
            }
            loaded = null;
        }
    }

    private record Switched(GuestRoot root, LayerStack before) {
    }

    private void switchTo(GuestRoot r, LayerStack target, List<Switched> done) {
        LayerStack before = unionFs.stackAt(r.union());
        if (sameLayers(before, target)) {
            return;
        }
        unionFs.switchStack(r.union(), target);
        done.add(new Switched(r, before));
    }

    /** Switches back what was switched, newest first; failures are attached to {@code cause}. */
    private void rollback(List<Switched> done, RuntimeException cause) {
        for (int i = done.size() - 1; i >= 0; i--) {
            Switched s = done.get(i);
            try {
                unionFs.switchStack(s.root().union(), new LayerStack(s.before().lowers(), s.before().upper(), nextWork(s.root())));
            } catch (RuntimeException e) {
                cause.addSuppressed(e);
            }
        }
    }

    private static boolean sameLayers(LayerStack a, LayerStack b) {
        if (a.lowers().size() != b.lowers().size() || !canonical(a.upper()).equals(canonical(b.upper()))) {
            return false;
        }
        for (int i = 0; i < a.lowers().size(); i++) {
            if (!canonical(a.lowers().get(i)).equals(canonical(b.lowers().get(i)))) {
                return false;
            }
        }
        return true;
    }

    private static Path canonical(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }

    private List<GuestRoot> checkMounted(Collection<GuestRoot> roots) {
        List<GuestRoot> result = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (GuestRoot r : roots == null ? List.<GuestRoot>of() : roots) {
            checkRoot(r);
            if (!seen.add(r.guest())) {
                throw new DummException(Reason.INVALID_ARGUMENT, "guest '" + r.guest() + "' is given twice");
            }
            if (!unionFs.isMounted(r.union())) {
                throw new DummException(Reason.INVALID_STATE, "root of guest '" + r.guest() + "' is not mounted at " + r.union());
            }
            result.add(r);
        }
        return result;
    }

    private static void checkRoot(GuestRoot r) {
        if (r == null) {
            throw new DummException(Reason.INVALID_ARGUMENT, "guest root is missing");
        }
        Names.check("guest", r.guest());
        if (r.master() == null || r.diff() == null || r.workBase() == null || r.union() == null) {
            throw new DummException(Reason.INVALID_ARGUMENT, "root of guest '" + r.guest() + "' lacks master, diff, work base or union");
        }
    }

    // ---- diff, export, import

    @Override
    public List<TemplateDiff> diff(String template, Collection<GuestRoot> roots) {
        Path dir = existing(template);
        Map<String, GuestRoot> byGuest = new HashMap<>();
        for (GuestRoot r : roots == null ? List.<GuestRoot>of() : roots) {
            checkRoot(r);
            byGuest.put(r.guest(), r);
        }
        List<TemplateDiff> result = new ArrayList<>();
        for (String guest : names(dir)) {
            GuestRoot r = byGuest.get(guest);
            List<Path> below = new ArrayList<>();
            if (r != null) {
                if (r.bootLayer() != null) {
                    below.add(r.bootLayer());
                }
                below.add(r.diff());
                if (r.kernelLayer() != null) {
                    below.add(r.kernelLayer());
                }
                below.add(r.master());
            }
            result.add(LayerDiff.of(guest, dir.resolve(guest), below));
        }
        return result;
    }

    @Override
    public void export(String template, Path archive) {
        Path dir = existing(template);
        Path target = archive.toAbsolutePath().normalize();
        if (target.getParent() == null || !Files.isDirectory(target.getParent())) {
            throw new DummException(Reason.NOT_FOUND, "directory " + target.getParent() + " for the archive does not exist");
        }
        try {
            TemplateArchive.export(dir, names(dir), target);
        } catch (IOException e) {
            throw hostError("exporting template '" + template + "' to " + target, e);
        }
    }

    @Override
    public Template importArchive(String name, Path archive) {
        Names.check("template", name);
        synchronized (lock) {
            Path dir = templatesDir.resolve(name);
            if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw new DummException(Reason.ALREADY_EXISTS, "template '" + name + "' already exists");
            }
            if (archive == null || !Files.isRegularFile(archive)) {
                throw new DummException(Reason.NOT_FOUND, "archive " + archive + " does not exist");
            }
            Path tmp = templatesDir.resolve(".import-" + name + "-" + System.nanoTime());
            try {
                Files.createDirectories(tmp);
                TemplateArchive.unpack(archive, tmp);
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                AtomicFiles.syncDir(templatesDir);
            } catch (RuntimeException | IOException e) {
                try {
                    Trees.delete(tmp);
                } catch (IOException cleanup) {
                    e.addSuppressed(cleanup);
                }
                if (e instanceof RuntimeException r) {
                    throw r;
                }
                if (e instanceof TarReader.FormatException || e instanceof java.io.EOFException) {
                    throw new DummException(Reason.INVALID_ARGUMENT, "archive " + archive + " is not a valid template archive: "
                            + e.getMessage(), e);
                }
                throw hostError("importing " + archive + " as template '" + name + "'", (IOException) e);
            }
            return new Template(name, names(dir), false);
        }
    }

    // ---- files

    private Path existing(String template) {
        Names.check("template", template);
        Path dir = templatesDir.resolve(template);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new DummException(Reason.NOT_FOUND, "template '" + template + "' does not exist");
        }
        return dir;
    }

    /** Sub-directories of {@code dir} that carry valid names, sorted (dot-entries are the store's own). */
    private static List<String> names(Path dir) {
        List<String> result = new ArrayList<>();
        for (String n : entries(dir)) {
            if (Names.PATTERN.matcher(n).matches() && n.length() <= Names.MAX_NAME_LENGTH
                    && Files.isDirectory(dir.resolve(n), LinkOption.NOFOLLOW_LINKS)) {
                result.add(n);
            }
        }
        return result;
    }

    private static List<String> entries(Path dir) {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw hostError("listing " + dir, e);
        }
    }

    private String readLoaded() {
        Path f = templatesDir.resolve(LOADED_FILE);
        try {
            if (!Files.exists(f)) {
                return null;
            }
            String name = Files.readString(f, StandardCharsets.UTF_8).trim();
            return Names.PATTERN.matcher(name).matches() ? name : null;
        } catch (IOException e) {
            throw hostError("reading " + f, e);
        }
    }

    private void writeLoaded(String name) {
        Path f = templatesDir.resolve(LOADED_FILE);
        try {
            if (name == null) {
                AtomicFiles.delete(f);
            } else {
                Files.createDirectories(templatesDir);
                AtomicFiles.write(f, (name + "\n").getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw hostError("recording the loaded template in " + f, e);
        }
    }

    private static void removeIfEmpty(Path dir, RuntimeException cause) {
        try {
            if (Files.isDirectory(dir) && entries(dir).isEmpty()) {
                Files.delete(dir);
            }
        } catch (IOException | RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    private static DummException hostError(String what, IOException e) {
        return new DummException(Reason.HOST_ERROR, what + ": " + e, e);
    }
}
