//! A kpt package of generated resources, for the benches that work on package files (render,
//! upgrade), and the floor they are measured against: parsing a package and writing it back.

use std::collections::BTreeMap;

/// Resource `i` of version `version` of the package: a Deployment, a Service or a ConfigMap
/// (by `i % 3`), with comments; the version shows in the Deployment's image and a ConfigMap value.
pub(crate) fn resource(i: usize, version: usize) -> String {
    match i % 3 {
        0 => format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{i} # the storefront\n  namespace: shop\n\
             spec:\n  replicas: 2\n  selector:\n    matchLabels:\n      run: web-{i}\n  template:\n    metadata:\n      \
             labels:\n        run: web-{i}\n    spec:\n      containers:\n      - name: web\n        image: shop/web:{version}.{i}\n        \
             env:\n        - name: DB_HOST\n          value: to-be-set\n        ports:\n        - containerPort: 8080\n"
        ),
        1 => format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web-{i}\n  namespace: shop\nspec:\n  selector:\n    \
             run: web-{i}\n  ports:\n  - port: 80 # public\n    targetPort: 8080\n"
        ),
        _ => format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings-{}\n  namespace: shop\ndata:\n  db-host: \
             db.example.com\n  retries: \"{}\"\n",
            i / 3,
            version + 2
        ),
    }
}

/// Resources `0..count` of `version`, in files of ten (`resources-<n>.yaml`, each with a head
/// comment).
pub(crate) fn resource_files(count: usize, version: usize) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for file in 0..count.div_ceil(10) {
        let docs: Vec<String> =
            (file * 10..((file + 1) * 10).min(count)).map(|i| resource(i, version)).collect();
        files.insert(
            format!("resources-{file}.yaml"),
            format!("# part {file}\n{}", docs.join("---\n")).into_bytes(),
        );
    }
    files
}

/// The floor: read the package's resources, change one value in each, write them back (so
/// every file is emitted); the number of files written.
pub(crate) fn parse_and_emit(files: &BTreeMap<String, Vec<u8>>) -> usize {
    let texts: BTreeMap<String, String> =
        files.iter().map(|(p, b)| (p.clone(), String::from_utf8(b.clone()).expect("UTF-8"))).collect();
    let mut items = porch_krm::package::read(&texts).expect("the package reads");
    for item in &mut items {
        if let Some(metadata) = item.root.as_mut().and_then(|r| r.get_mut("metadata")) {
            let _ = metadata.set_string("namespace", "shop-prod");
        }
    }
    porch_krm::package::write(items, &texts).expect("the package writes").len()
}
