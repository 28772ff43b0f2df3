package io.pgjobs;

import static com.tngtech.archunit.base.DescribedPredicate.describe;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaConstructor;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaMethod;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.JavaType;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.junit.jupiter.api.Test;

/**
 * The boundaries of docs/architecture.md, checked on scheduler-core's main classes: each rule fails the build
 * when crossed.
 */
class ArchitectureTest {
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
            // `mvn test -am` puts the jOOQ code generator's classes directory on this classpath (a jar under
            // `verify`): it is a build tool, not scheduler-core
            .withImportOption(location -> !location.contains("/io/pgjobs/build/"))
            .importPackages("io.pgjobs");

    /** Where SQL may be: the stores, and the classes jOOQ generated from the migrations. */
    private static final String[] STORE = {"io.pgjobs.internal.store..", "io.pgjobs.internal.db.."};
    /** The input checks that the public value types run in their setters. */
    private static final String VALUES = "io.pgjobs.internal.values";
    /** The public API. */
    private static final String[] PUBLIC = {"io.pgjobs", "io.pgjobs.admin", "io.pgjobs.spi"};
    /**
     * What code outside the stores may name of JDBC: the application's DataSource, a caller's (or a store's)
     * transaction passed along as a Connection it never uses itself, and the stores' checked exception.
     */
    private static final Set<String> JDBC_HANDLES = Set.of(DataSource.class.getName(), Connection.class.getName(),
            SQLException.class.getName());

    @Test
    void sqlJdbcJooqAndPgJdbcAreUsedOnlyInTheStores() {
        noClasses().that().resideOutsideOfPackages(STORE)
                .and().doNotHaveFullyQualifiedName(JobClient.class.getName())
                .should().dependOnClassesThat(describe("are of JDBC beyond " + JDBC_HANDLES + ", jOOQ, PgJDBC or "
                        + "jOOQ's generated classes", ArchitectureTest::isSqlAccess))
                .check(MAIN);
    }

    @Test
    void jobClientNamesOnlyTheCallersDslContextOfJooq() {
        classes().that().haveFullyQualifiedName(JobClient.class.getName())
                .should().onlyDependOnClassesThat(describe("are not of jOOQ, other than DSLContext and its "
                        + "connection callbacks", type -> !type.getPackageName().startsWith("org.jooq")
                        || type.isEquivalentTo(DSLContext.class) || type.getSimpleName().startsWith("Connection")))
                .check(MAIN);
    }

    @Test
    void thePublicApiExposesNoJooqTypeButACallersDslContext() {
        classes().that().resideInAnyPackage(PUBLIC).and().arePublic()
                .should(new ArchCondition<>("expose no jOOQ type in a public signature but DSLContext") {
                    @Override
                    public void check(JavaClass type, ConditionEvents events) {
                        List<JavaMember> members = new ArrayList<>();
                        type.getMethods().stream().filter(m -> m.getModifiers().contains(JavaModifier.PUBLIC))
                                .forEach(members::add);
                        type.getFields().stream().filter(f -> f.getModifiers().contains(JavaModifier.PUBLIC))
                                .forEach(members::add);
                        type.getConstructors().stream().filter(c -> c.getModifiers().contains(JavaModifier.PUBLIC))
                                .forEach(members::add);
                        for (JavaMember member : members) {
                            for (JavaClass named : signatureTypes(member)) {
                                boolean jooq = named.getPackageName().startsWith("org.jooq");
                                if (jooq && !named.isEquivalentTo(DSLContext.class)) {
                                    events.add(SimpleConditionEvent.violated(member,
                                            member.getFullName() + " exposes " + named.getName()));
                                }
                            }
                        }
                    }
                })
                .check(MAIN);
    }

    @Test
    void theInternalPackagesHaveNoCycles() {
        slices().matching("io.pgjobs.internal.(*)..").should().beFreeOfCycles().check(MAIN);
    }

    /**
     * The public packages use the internals only where the API is wired to them: the builder's {@code
     * Scheduler} (the composition root, {@code Components}) and {@code Schedule}'s validation of an expression.
     * Everything else in them depends on nothing internal but the input checks of {@code internal.values},
     * which depend on nothing of pgjobs, so the only way round between public and internal goes through those
     * two entry points.
     */
    @Test
    void thePublicPackagesReachTheInternalsOnlyThroughTheirEntryPoints() {
        noClasses().that().resideInAnyPackage(PUBLIC)
                .and().doNotHaveFullyQualifiedName(Scheduler.class.getName())
                .and().doNotHaveFullyQualifiedName(Scheduler.Builder.class.getName())
                .and().doNotHaveFullyQualifiedName(Schedule.class.getName())
                .should().dependOnClassesThat(describe("reside in io.pgjobs.internal.. outside internal.values",
                        type -> type.getPackageName().startsWith("io.pgjobs.internal")
                                && !type.getPackageName().equals(VALUES)))
                .check(MAIN);
    }

    @Test
    void theInputChecksDependOnNothingOfPgjobs() {
        noClasses().that().resideInAPackage(VALUES)
                .should().dependOnClassesThat(describe("are pgjobs' outside " + VALUES,
                        type -> type.getPackageName().startsWith("io.pgjobs") && !type.getPackageName().equals(VALUES)))
                .check(MAIN);
    }

    private static boolean isSqlAccess(JavaClass type) {
        String pkg = type.getPackageName();
        if (pkg.startsWith("java.sql") || pkg.startsWith("javax.sql")) {
            return !JDBC_HANDLES.contains(type.getName());
        }
        return pkg.startsWith("org.jooq") || pkg.startsWith("org.postgresql")
                || pkg.startsWith("io.pgjobs.internal.db");
    }

    private static Set<JavaClass> signatureTypes(JavaMember member) {
        List<JavaType> types = new ArrayList<>();
        if (member instanceof JavaMethod method) {
            types.add(method.getReturnType());
            types.addAll(method.getParameterTypes());
        } else if (member instanceof JavaField field) {
            types.add(field.getType());
        } else if (member instanceof JavaConstructor constructor) {
            types.addAll(constructor.getParameterTypes());
        }
        return types.stream().flatMap(t -> t.getAllInvolvedRawTypes().stream())
                .collect(Collectors.toSet());
    }
}
