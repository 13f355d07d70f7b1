package org.dumm.lab.internal;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.LinkState;
import org.dumm.lab.Lab;
import org.dumm.lab.LabDevice;
import org.dumm.lab.LabLink;

/**
 * A lab as it is (remembered) or should be (from its source) on the mesh: its devices with their
 * guest names, masters and links, and the bridge of each collision domain. Remembered in
 * {@code labs/NAME/state.properties} under Dumm's work directory.
 */
record LabState(String name, String source, Map<String, Device> devices, Map<String, String> segments,
                Map<String, List<String>> dependencies, String template) {

    /**
     * @param options what else needs a restart when it changes (ipv6, exec, sysctl, env, shell),
     *                as one comparable string
     */
    record Device(String guest, String master, String kernel, String backend, int memoryMb, String options,
                  List<LabLink> links) {

        /** Same but for the links: what a restart is needed for. */
        boolean sameGuest(Device o) {
            return guest.equals(o.guest) && Objects.equals(master, o.master) && Objects.equals(kernel, o.kernel)
                    && Objects.equals(backend, o.backend) && memoryMb == o.memoryMb && options.equals(o.options);
        }
    }

    /** What the lab should be: {@code masters} maps each device to its master (null: the default). */
    static LabState desired(Lab lab, Map<String, String> masters) {
        Map<String, Device> devices = new LinkedHashMap<>();
        Map<String, String> segments = new TreeMap<>();
        for (LabDevice d : lab.devices()) {
            devices.put(d.name(), new Device(LabNames.guest(lab.prefix(), d.name()), masters.get(d.name()), d.kernel(),
                    d.backend(), d.memoryMb(), options(d), d.links()));
            for (LabLink l : d.links()) {
                segments.computeIfAbsent(l.cd(), cd -> LabNames.segment(lab.prefix(), lab.name(), cd));
            }
        }
        return new LabState(lab.name(), lab.source().toString(), devices, segments, lab.dependencies(), lab.template());
    }

    static String options(LabDevice d) {
        return "ipv6=" + d.ipv6() + ";exec=" + d.exec() + ";sysctl=" + d.sysctls() + ";env=" + new TreeMap<>(d.env())
                + ";shell=" + d.shell();
    }

    static Path file(Path labsDir, String name) {
        return labsDir.resolve(name).resolve("state.properties");
    }

    void save(Path labsDir) {
        Properties p = new Properties();
        p.setProperty("name", name);
        p.setProperty("source", source);
        p.setProperty("devices", String.join(" ", devices.keySet()));
        devices.forEach((dev, d) -> {
            String k = "device." + dev + ".";
            p.setProperty(k + "guest", d.guest());
            put(p, k + "master", d.master());
            put(p, k + "kernel", d.kernel());
            put(p, k + "backend", d.backend());
            p.setProperty(k + "mem", Integer.toString(d.memoryMb()));
            p.setProperty(k + "options", d.options());
            p.setProperty(k + "links", Integer.toString(d.links().size()));
            for (LabLink l : d.links()) {
                p.setProperty(k + "link." + l.index(), l.cd() + (l.mac() == null ? "" : "/" + l.mac()));
                if (!l.addresses().isEmpty()) {
                    p.setProperty(k + "link." + l.index() + ".addresses", String.join(" ", l.addresses()));
                }
                if (!l.link().isDefault()) {
                    p.setProperty(k + "link." + l.index() + ".state", LinkStates.encode(l.link()));
                }
            }
        });
        p.setProperty("segments", String.join(" ", segments.keySet()));
        segments.forEach((cd, bridge) -> p.setProperty("segment." + cd, bridge));
        dependencies.forEach((dev, on) -> p.setProperty("dep." + dev, String.join(" ", on)));
        put(p, "template", template);
        Path f = file(labsDir, name);
        try {
            Files.createDirectories(f.getParent());
            Path tmp = f.resolveSibling("state.properties.tmp");
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                p.store(w, "lab " + name + ", written by dumm-lab");
            }
            Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "cannot remember lab " + name + " in " + f + ": " + e.getMessage(), e);
        }
    }

    static LabState load(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "cannot read lab state " + file + ": " + e.getMessage(), e);
        }
        Map<String, Device> devices = new LinkedHashMap<>();
        Map<String, List<String>> deps = new LinkedHashMap<>();
        for (String dev : words(p.getProperty("devices", ""))) {
            String k = "device." + dev + ".";
            List<LabLink> links = new ArrayList<>();
            int n = Integer.parseInt(p.getProperty(k + "links", "0"));
            for (int i = 0; i < n; i++) {
                String v = p.getProperty(k + "link." + i);
                int slash = v.indexOf('/');
                String state = p.getProperty(k + "link." + i + ".state");
                links.add(new LabLink(i, slash < 0 ? v : v.substring(0, slash), slash < 0 ? null : v.substring(slash + 1),
                        words(p.getProperty(k + "link." + i + ".addresses", "")),
                        state == null ? LinkState.DEFAULT : LinkStates.decode(state)));
            }
            devices.put(dev, new Device(p.getProperty(k + "guest"), p.getProperty(k + "master"),
                    p.getProperty(k + "kernel"), p.getProperty(k + "backend"),
                    Integer.parseInt(p.getProperty(k + "mem", "0")), p.getProperty(k + "options", ""), links));
            String on = p.getProperty("dep." + dev);
            if (on != null) {
                deps.put(dev, words(on));
            }
        }
        Map<String, String> segments = new TreeMap<>();
        for (String cd : words(p.getProperty("segments", ""))) {
            segments.put(cd, p.getProperty("segment." + cd));
        }
        return new LabState(p.getProperty("name"), p.getProperty("source"), devices, segments, deps,
                p.getProperty("template"));
    }

    private static void put(Properties p, String key, String value) {
        if (value != null) {
            p.setProperty(key, value);
        }
    }

    private static List<String> words(String s) {
        return s.isBlank() ? List.of() : List.of(s.strip().split("\\s+"));
    }
}
