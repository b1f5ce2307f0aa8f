//! The builtin runtime through the render frame: a package whose Kptfile runs set-namespace.

use super::*;
use crate::engine::render::{RenderRequest, render};

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

fn builtins() -> Builtins {
    Builtins::new("ghcr.io/kptdev/krm-functions-catalog/", true)
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
    assert!(
        text(&rendered.files, "Kptfile").contains("reason: RenderSuccess"),
        "{}",
        text(&rendered.files, "Kptfile")
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
}

#[test]
fn config_path_names_an_item_of_the_package() {
    let kptfile =
        KPTFILE.replace("    configMap:\n      namespace: market\n", "    configPath: fn-config.yaml\n");
    let config = "apiVersion: fn.kpt.dev/v1alpha1\nkind: SetNamespace\nmetadata:\n  name: move\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\nnamespace: depot\n";
    let input = files(&[("Kptfile", &kptfile), ("fn-config.yaml", config), ("service.yaml", SERVICE)]);
    let rendered = render(&input, &builtins(), RenderRequest::Resources).unwrap();
    assert!(text(&rendered.files, "service.yaml").contains("namespace: depot"));
    assert_eq!(text(&rendered.files, "fn-config.yaml"), config, "local config is left alone");

    let missing =
        KPTFILE.replace("    configMap:\n      namespace: market\n", "    configPath: nowhere.yaml\n");
    let err = render(&files(&[("Kptfile", &missing)]), &builtins(), RenderRequest::Resources).unwrap_err();
    assert!(err.to_string().contains("functionConfig must exist in the current package"), "{err}");
}

#[test]
fn unknown_functions_exec_and_failed_runs_fail_the_render() {
    for (function, message) in [
        (
            "  - image: gcr.io/kpt-fn/set-labels:v0.2.2\n",
            "function \"gcr.io/kpt-fn/set-labels:v0.2.2\" not found",
        ),
        (
            "  - exec: ./set-things\n",
            "must run with `--allow-exec` option to allow running function binaries",
        ),
        (
            "  - image: gcr.io/kpt-fn/set-namespace:v0.4.1\n",
            "pipeline.run: func eval \"gcr.io/kpt-fn/set-namespace:v0.4.1\" failed: FunctionConfig is missing",
        ),
    ] {
        let kptfile = format!(
            "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: p\npipeline:\n  mutators:\n{function}"
        );
        let input = files(&[("Kptfile", &kptfile), ("service.yaml", SERVICE)]);
        let err = render(&input, &builtins(), RenderRequest::Resources).unwrap_err();
        assert!(err.to_string().contains(message) || format!("{err:?}").contains(message), "{err:?}");
    }
}
