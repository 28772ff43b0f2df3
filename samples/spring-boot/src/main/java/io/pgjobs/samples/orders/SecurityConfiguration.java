package io.pgjobs.samples.orders;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;

/**
 * Who may do what. pgjobs' dashboard ({@code /pgjobs/}, served by the starter) is for the application's own users
 * in two roles, which are Spring Security authorities: {@code ROLE_PGJOBS_OPERATOR} may act (retry, cancel,
 * pause, trigger), {@code ROLE_PGJOBS_VIEWER} may look; the starter maps them to the dashboard's roles, so there
 * is no second user store. Placing an order stays open: it is the sample's API for other programs (curl in the
 * README). Everything else needs a login, and Spring Security's CSRF protection stays on for it.
 *
 * <p>The users are in memory, with the sample's own passwords, so that it runs as it is; an application has its
 * user store (LDAP, OAuth2, a database) here instead.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {
    @Bean
    SecurityFilterChain filterChain(HttpSecurity http) throws Exception {
        http.authorizeHttpRequests(auth -> auth
                .requestMatchers("/pgjobs/**").hasAnyRole("PGJOBS_OPERATOR", "PGJOBS_VIEWER")
                .requestMatchers(HttpMethod.POST, "/orders").permitAll()
                // Boot's error page: a refused request shows its own status, not a demand to log in
                .requestMatchers("/error").permitAll()
                .anyRequest().authenticated())
            // The dashboard checks a CSRF token of its own (header X-PgJobs-Csrf, from GET api/session) and the
            // Origin of every action; its page does not send Spring's. An order is placed without a session: a
            // forged request has nothing of the user's to borrow.
            .csrf(csrf -> csrf.ignoringRequestMatchers("/pgjobs/**", "/orders"))
            .formLogin(Customizer.withDefaults())
            .httpBasic(Customizer.withDefaults());
        return http.build();
    }

    @Bean
    UserDetailsService users() {
        return new InMemoryUserDetailsManager(
                User.withUsername("ada").password("{noop}operator-pw").roles("PGJOBS_OPERATOR").build(),
                User.withUsername("grace").password("{noop}viewer-pw").roles("PGJOBS_VIEWER").build());
    }
}
