package org.dumm.itests;

import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.vmOption;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.configureConsole;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.karafDistributionConfiguration;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.keepRuntimeFolder;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.logLevel;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.security.PrivilegedExceptionAction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

import javax.inject.Inject;
import javax.security.auth.Subject;

import org.apache.karaf.features.FeaturesService;
import org.apache.karaf.jaas.boot.principal.RolePrincipal;
import org.apache.karaf.jaas.boot.principal.UserPrincipal;
import org.apache.karaf.shell.api.console.Command;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.api.console.SessionFactory;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.karaf.options.LogLevelOption.LogLevel;
import org.ops4j.pax.exam.options.extra.VMOption;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Base of every Dumm integration test: boots the Dumm Karaf distribution built by this reactor
 * (one container per test class) and offers console commands and service waits.
 *
 * <p>Subclasses add options by overriding {@link #additionalConfig()}. Set
 * {@code -Ddumm.itest.keep=true} to keep the container's directory under target/exam after the
 * run (to read its data/log/karaf.log).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public abstract class DummTestSupport {

    /** Symbolic names of the bundles feature "dumm" installs from this project. */
    protected static final List<String> DUMM_BUNDLES = List.of(
            "dumm-api", "dumm-native", "dumm-tap", "dumm-bridge", "dumm-unionfs",
            "dumm-templates", "dumm-uml", "dumm-core", "dumm-shell");

    protected static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
    protected static final Duration SERVICE_TIMEOUT = Duration.ofSeconds(30);

    /** Roles an administrator logged in through SSH has; commands guarded by ACLs need them. */
    protected static final Principal[] ADMIN = {
            new UserPrincipal("itest"), new RolePrincipal("admin"), new RolePrincipal("manager"),
            new RolePrincipal("viewer"), new RolePrincipal("systembundles")};

    @Inject
    protected BundleContext bundleContext;

    @Inject
    protected SessionFactory sessionFactory;

    @Inject
    protected FeaturesService featuresService;

    @Configuration
    public Option[] config() {
        List<Option> options = new ArrayList<>();
        String distribution = requiredProperty("dumm.distribution");
        String karafVersion = requiredProperty("karaf.version");
        options.add(karafDistributionConfiguration()
                .frameworkUrl(new File(distribution).toURI().toString())
                .name("Dumm")
                .unpackDirectory(new File("target/exam"))
                .useDeployFolder(false));
        if (Boolean.getBoolean("dumm.itest.keep")) {
            options.add(keepRuntimeFolder());
        }
        options.add(configureConsole().ignoreLocalConsole());
        options.add(logLevel(LogLevel.INFO));

        // Free ports, so tests run beside a live Dumm (8101/1099/44444) and beside each other.
        options.add(editConfigurationFilePut("etc/org.apache.karaf.shell.cfg", "sshPort", Integer.toString(Host.freeLoopbackPort())));
        options.add(editConfigurationFilePut("etc/org.apache.karaf.management.cfg", "rmiRegistryPort", Integer.toString(Host.freeLoopbackPort())));
        options.add(editConfigurationFilePut("etc/org.apache.karaf.management.cfg", "rmiServerPort", Integer.toString(Host.freeLoopbackPort())));
        options.add(editConfigurationFilePut("etc/org.ops4j.pax.web.cfg", "org.osgi.service.http.port", Integer.toString(Host.freeLoopbackPort())));
        // A device marker of this run's own, so that nothing a test does (or cleans up) can touch
        // the devices of a Dumm running on the host; test classes may set their own after this.
        options.add(editConfigurationFilePut("etc/org.dumm.cfg", "deviceAliasPrefix", Isolation.aliasPrefix("feat")));
        options.add(editConfigurationFilePut("etc/org.dumm.cfg", "deviceGroup", Integer.toString(Isolation.deviceGroup(2))));

        // Pax Exam adds its own feature to featuresBoot and starts Karaf without bin/dumm-server,
        // which would see that change and drop the framework state the distribution ships with
        // (a boot already done): Karaf is told to start from an empty bundle cache instead.
        options.add(vmOption("-Dkaraf.clean.cache=true"));

        // Pax Exam installs its own feature into the container from the build's local
        // repository (which may be a scratch one given with -Dmaven.repo.local).
        String localRepo = System.getProperty("maven.repo.local");
        if (localRepo != null && !localRepo.isEmpty()) {
            options.add(editConfigurationFilePut("etc/org.ops4j.pax.url.mvn.cfg",
                    "org.ops4j.pax.url.mvn.localRepository", localRepo));
            options.add(systemProperty("org.ops4j.pax.url.mvn.localRepository").value(localRepo));
        }

        // Pax Exam starts the container with a bare "java": add what bin/karaf adds on JDK 9+.
        options.addAll(jdk9PlusOptions(karafVersion));
        options.add(vmOption("-Xmx256m"));

        options.addAll(Arrays.asList(additionalConfig()));
        return options.toArray(new Option[0]);
    }

    /** Extra Pax Exam options of a test class. */
    protected Option[] additionalConfig() {
        return new Option[0];
    }

    private static List<Option> jdk9PlusOptions(String karafVersion) {
        List<Option> o = new ArrayList<>();
        for (String arg : new String[] {
                "--add-reads=java.xml=java.logging",
                "--add-exports=java.base/org.apache.karaf.specs.locator=java.xml,ALL-UNNAMED",
                "--patch-module", "java.base=lib/endorsed/org.apache.karaf.specs.locator-" + karafVersion + ".jar",
                "--patch-module", "java.xml=lib/endorsed/org.apache.karaf.specs.java.xml-" + karafVersion + ".jar",
                "--add-opens", "java.base/java.security=ALL-UNNAMED",
                "--add-opens", "java.base/java.net=ALL-UNNAMED",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "--add-opens", "java.base/java.util=ALL-UNNAMED",
                "--add-opens", "java.naming/javax.naming.spi=ALL-UNNAMED",
                "--add-opens", "java.rmi/sun.rmi.transport.tcp=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.file=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.ftp=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.http=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.https=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.jar=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.content.text=ALL-UNNAMED",
                "--add-exports=jdk.xml.dom/org.w3c.dom.html=ALL-UNNAMED",
                "--add-exports=jdk.naming.rmi/com.sun.jndi.url.rmi=ALL-UNNAMED",
                "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
                "--add-exports=java.security.sasl/com.sun.security.sasl=ALL-UNNAMED",
                "--add-exports=java.naming/com.sun.jndi.ldap=ALL-UNNAMED",
                "-classpath", "lib/jdk9plus/*" + File.pathSeparator + "lib/boot/*"}) {
            o.add(new VMOption(arg));
        }
        return o;
    }

    protected static String requiredProperty(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isEmpty() || value.startsWith("${")) {
            throw new IllegalStateException("system property " + name + " is not set: run the itests through Maven (mvn verify)");
        }
        return value;
    }

    // ---------------------------------------------------------------- console commands

    /** Runs a console command without a login (no command ACLs apply); returns what it printed. */
    protected String executeCommand(String command) {
        return executeCommand(command, COMMAND_TIMEOUT);
    }

    /**
     * Runs a console command through the shell's SessionFactory, as the given principals when
     * some are given (then command ACLs apply, as for an SSH login). Fails the test, with the
     * output so far, when the command throws or does not finish in time.
     */
    protected String executeCommand(String command, Duration timeout, Principal... principals) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (Session session = sessionFactory.create(new ByteArrayInputStream(new byte[0]), out, out)) {
            PrivilegedExceptionAction<Object> run = () -> {
                Object result = session.execute(command);
                if (result != null) {
                    out.println(result);
                }
                return null;
            };
            FutureTask<Object> task = new FutureTask<>(() -> principals.length == 0
                    ? run.run()
                    : Subject.doAs(new Subject(false, new java.util.HashSet<>(Arrays.asList(principals)),
                            java.util.Set.of(), java.util.Set.of()), run));
            Thread thread = new Thread(task, "itest: " + command);
            thread.start();
            try {
                task.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                thread.interrupt();
                fail("command '" + command + "' did not finish in " + timeout.toSeconds() + " s; output so far:\n" + text(bytes));
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() instanceof java.security.PrivilegedActionException p ? p.getCause() : e.getCause();
                AssertionError error = new AssertionError("command '" + command + "' failed: " + cause + "\noutput:\n" + text(bytes));
                error.initCause(cause);
                throw error;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted while running '" + command + "'");
            }
        }
        out.flush();
        return text(bytes);
    }

    /** Runs a command that must fail; returns the failure's message (for error-path tests). */
    protected String executeCommandExpectingFailure(String command) {
        try {
            String output = executeCommand(command);
            throw new AssertionError("command '" + command + "' should have failed but printed:\n" + output);
        } catch (AssertionError e) {
            if (e.getMessage() != null && e.getMessage().startsWith("command '" + command + "' failed: ")) {
                return e.getCause() == null ? e.getMessage() : String.valueOf(e.getCause().getMessage());
            }
            throw e;
        }
    }

    private static String text(ByteArrayOutputStream bytes) {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** Waits until the console knows command scope:name (commands appear once their services do). */
    protected void waitForCommand(String scope, String name, Duration timeout) {
        waitFor("command " + scope + ":" + name, timeout, () -> {
            for (Command c : sessionFactory.getRegistry().getCommands()) {
                if (scope.equals(c.getScope()) && name.equals(c.getName())) {
                    return true;
                }
            }
            return false;
        });
    }

    // ---------------------------------------------------------------- services and bundles

    /** The service of this type, waiting for it up to {@link #SERVICE_TIMEOUT}. */
    protected <T> T waitForService(Class<T> type) {
        return waitForService(type, null, SERVICE_TIMEOUT);
    }

    /** The service of this type matching an LDAP filter (or any, when null), waiting up to timeout. */
    protected <T> T waitForService(Class<T> type, String filter, Duration timeout) {
        String spec = "(objectClass=" + type.getName() + ")";
        if (filter != null && !filter.isEmpty()) {
            spec = "(&" + spec + filter + ")";
        }
        Filter osgiFilter;
        try {
            osgiFilter = FrameworkUtil.createFilter(spec);
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException("bad filter " + spec, e);
        }
        ServiceTracker<T, T> tracker = new ServiceTracker<>(bundleContext, osgiFilter, null);
        tracker.open(true);
        try {
            T service = tracker.waitForService(timeout.toMillis());
            if (service == null) {
                fail("no service " + spec + " after " + timeout.toSeconds() + " s");
            }
            return service;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + spec, e);
        } finally {
            tracker.close();
        }
    }

    /** The installed bundle with this symbolic name, or null. */
    protected Bundle bundle(String symbolicName) {
        for (Bundle b : bundleContext.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        return null;
    }

    /** Polls a condition every 100 ms; fails with the description after the timeout. */
    protected static void waitFor(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + what, e);
            }
        }
    }
}
