//! The builtin runtime through render: a package whose Kptfile runs set-namespace.

use super::*;

const KPTFILE: &str = "\
apiVersion: kpt.dev/v1
kind: Kptfile
metadata:
  name: shop
  annotations:
    config.kubernetes.io/local-config: \"true\"
pipeline:
  mutators:
  - image: gcr.io/kpt-fn/set-namespace:v0.4.1
    configMap:
      namespace: market
";

const SERVICE: &str = "\
# The cart service.
apiVersion: v1
kind: Service
metadata:
  name: cart # the cart
  namespace: shop
spec:
  ports:
  - port: 80
";

fn files(entries: &[(&str, &str)]) -> Files {
    entries.iter().map(|(p, t)| (p.to_string(), t.as_bytes().to_vec())).collect()
}

fn text(files: &Files, path: &str) -> String {
    String::from_utf8(files[path].clone()).unwrap()
}

fn builtins() -> Functions {
    Functions::builtins("ghcr.io/kptdev/krm-functions-catalog/")
}

#[test]
fn set_namespace_renders_in_process_keeping_comments() {
    let input = files(&[("Kptfile", KPTFILE), ("service.yaml", SERVICE), ("README.md", "# shop\n")]);
    let rendered = render(&input, &builtins(), RenderRequest::Resources).unwrap();
    assert_eq!(
        text(&rendered.files, "service.yaml"),
        SERVICE.replace("namespace: shop", "namespace: market")
    );
    assert_eq!(text(&rendered.files, "README.md"), "# shop\n", "other files pass through");
    let kptfile = text(&rendered.files, "Kptfile");
    assert!(kptfile.contains("reason: RenderSuccess"), "{kptfile}");
    assert!(
        kptfile.contains("  renderStatus:\n    mutationSteps:\n    - image: gcr.io/kpt-fn/set-namespace:v0.4.1\n      exitCode: 0\n      results:\n"),
        "{kptfile}"
    );
    let step = &rendered.status.result.items[0];
    assert_eq!((step.image.as_str(), step.exit_code), ("gcr.io/kpt-fn/set-namespace:v0.4.1", 0));
    let last = step.results.iter().map(|r| r.message.as_str()).collect::<Vec<_>>();
    assert!(last.contains(&r#"namespace [shop] updated to "market", 1 value(s) changed"#), "{last:?}");
}

#[test]
fn a_subpackage_renders_first_and_its_parent_sees_its_output() {
    let sub_kptfile =
        KPTFILE.replace("name: shop", "name: cart").replace("namespace: market", "namespace: cart-ns");
    let input =
        files(&[("Kptfile", KPTFILE), ("cart/Kptfile", &sub_kptfile), ("cart/service.yaml", SERVICE)]);
    let rendered = render(&input, &builtins(), RenderRequest::Resources).unwrap();
    // The subpackage moved it to cart-ns, then the root moved everything below it to market.
    assert!(text(&rendered.files, "cart/service.yaml").contains("namespace: market"));
    assert_eq!(rendered.status.result.items.len(), 2);
    let moved = &rendered.status.result.items[0].results;
    assert!(moved.iter().any(|r| r.message.contains("updated to \"cart-ns\"")), "{moved:?}");
}

#[test]
fn config_path_names_a_resource_of_the_package() {
    let kptfile =
        KPTFILE.replace("    configMap:\n      namespace: market\n", "    configPath: fn-config.yaml\n");
    let config = "apiVersion: fn.kpt.dev/v1alpha1\nkind: SetNamespace\nmetadata:\n  name: move\n  annotations:\n    \
                  config.kubernetes.io/local-config: \"true\"\nnamespace: depot\n";
    let input = files(&[("Kptfile", &kptfile), ("fn-config.yaml", config), ("service.yaml", SERVICE)]);
    let rendered = render(&input, &builtins(), RenderRequest::Resources).unwrap();
    assert!(text(&rendered.files, "service.yaml").contains("namespace: depot"));
    assert_eq!(text(&rendered.files, "fn-config.yaml"), config, "local config is left alone");
}

#[test]
fn a_failing_builtin_reports_its_results_and_the_sdks_error() {
    let kptfile = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: p\npipeline:\n  mutators:\n  \
                   - image: gcr.io/kpt-fn/set-namespace:v0.4.1\n";
    let input = files(&[("Kptfile", kptfile), ("service.yaml", SERVICE)]);
    let EngineError::RenderFailed { message, status, .. } =
        render(&input, &builtins(), RenderRequest::Resources).unwrap_err()
    else {
        panic!("expected a render failure")
    };
    assert!(
        message.ends_with(
            "pipeline.run: func eval \"gcr.io/kpt-fn/set-namespace:v0.4.1\" failed: error: function failure"
        ),
        "{message}"
    );
    let step = &status.result.items[0];
    assert_eq!(step.exit_code, 1);
    assert!(step.results[0].message.starts_with("FunctionConfig is missing"), "{:?}", step.results);
    assert_eq!(step.results[0].severity, "error");
}

#[test]
fn images_no_builtin_serves_are_not_found() {
    for image in ["gcr.io/kpt-fn/set-namespace:v9.9", "example.com/set-namespace:v0.4", "no-such-fn:v1"] {
        let kptfile = format!(
            "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: p\npipeline:\n  mutators:\n  - image: {image}\n"
        );
        let err =
            render(&files(&[("Kptfile", &kptfile)]), &builtins(), RenderRequest::Resources).unwrap_err();
        assert!(err.to_string().ends_with("not found"), "{err}");
    }
}
