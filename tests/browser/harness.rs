//! The harness's own checks, proven to catch what they look for: a page
//! that breaks the CSP, blocks a navigation, violates WCAG or hides the
//! keyboard focus makes them fail. (The portal's pages never do; these
//! break a page on purpose, through WebDriver.)

use crate::driver::{Browser, console_problems};
use crate::journeys::portal;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checks_catch_what_they_check() {
    let app = portal(|_| {}).await;
    let mut b = Browser::start("harness", &app.address).await;
    b.goto("/login").await;
    b.step("clean-page", "/login").await;

    // The production CSP is in force in the browser, and a violation reaches the console.
    b.client
        .execute(
            "const i = document.createElement('img'); i.src = 'https://example.invalid/x.png'; i.alt = 'x'; \
             document.body.appendChild(i); return null;",
            vec![],
        )
        .await
        .unwrap();
    let problems = wait_for_problems(&b).await;
    assert!(problems.iter().any(|p| p.contains("Content Security Policy")), "{problems:?}");

    // A blocked navigation (form-action 'self') reaches the console too.
    b.client
        .execute(
            "const f = document.createElement('form'); f.method = 'post'; f.action = 'http://127.0.0.2:9/'; \
             document.body.appendChild(f); f.submit(); return null;",
            vec![],
        )
        .await
        .unwrap();
    let problems = wait_for_problems(&b).await;
    assert!(problems.iter().any(|p| p.contains("form-action")), "{problems:?}");
    assert_eq!(b.path().await, "/login", "the navigation was blocked");

    // axe-core finds an image without alternative text and text without contrast.
    b.client
        .execute(
            "const i = document.createElement('img'); i.src = '/static/logo.svg'; \
             const p = document.createElement('p'); p.textContent = 'hard to read'; p.style.color = '#eeeeee'; \
             document.querySelector('main').append(i, p); return null;",
            vec![],
        )
        .await
        .unwrap();
    let report = b.axe().await;
    let ids: Vec<&str> = report.violations.iter().filter_map(|v| v["id"].as_str()).collect();
    assert!(ids.contains(&"image-alt") && ids.contains(&"color-contrast"), "{ids:?}");

    // A focus style removed: the focus check says it is not visible.
    b.tab_to("[data-testid=skip-link]").await;
    let shown = b.focused().await;
    assert!(crate::driver::focus_is_visible(&shown), "{shown}");
    b.client
        .execute("document.styleSheets[0].insertRule('a:focus { outline: none !important; }'); return null;", vec![])
        .await
        .unwrap();
    let hidden = b.focused().await;
    assert!(!crate::driver::focus_is_visible(&hidden), "{hidden}");
    b.finish().await;
}

/// The console's problems, once it reports some (logging is asynchronous).
async fn wait_for_problems(b: &Browser) -> Vec<String> {
    crate::wait::until_ok("the browser console to report a problem", async || {
        let problems = console_problems(&b.console().await);
        if problems.is_empty() { Err("nothing") } else { Ok(problems) }
    })
    .await
}
