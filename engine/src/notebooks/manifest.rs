//! A notebook as Kubeflow's `Notebook` resource (`kubeflow.org/v1`): what
//! the details page shows as its spec, and what the cluster backend will
//! apply. Quantities are written as Kubernetes writes them.

use serde_json::{Value, json};

use super::Notebook;

/// The `Notebook` resource for `notebook`.
pub fn manifest(notebook: &Notebook) -> Value {
    let spec = &notebook.spec;
    let mut requests =
        json!({"cpu": format!("{}m", spec.cpu_milli), "memory": format!("{}Mi", spec.memory_bytes >> 20)});
    let mut limits =
        json!({"cpu": format!("{}m", spec.cpu_limit_milli), "memory": format!("{}Mi", spec.memory_limit_bytes >> 20)});
    if spec.gpus > 0 {
        requests[&spec.gpu_vendor] = json!(spec.gpus.to_string());
        limits[&spec.gpu_vendor] = json!(spec.gpus.to_string());
    }
    let volumes: Vec<_> = spec.workspace.iter().chain(&spec.data_volumes).collect();
    let mut mounts: Vec<Value> = volumes.iter().map(|v| json!({"name": v.name, "mountPath": v.mount})).collect();
    let mut pod_volumes: Vec<Value> =
        volumes.iter().map(|v| json!({"name": v.name, "persistentVolumeClaim": {"claimName": v.name}})).collect();
    if spec.shm {
        mounts.push(json!({"name": "dshm", "mountPath": "/dev/shm"}));
        pod_volumes.push(json!({"name": "dshm", "emptyDir": {"medium": "Memory"}}));
    }
    let mut annotations = json!({"notebooks.kubeflow.org/server-type": spec.server_type});
    if notebook.stopped {
        annotations["kubeflow-resource-stopped"] = json!(notebook.created_at.to_rfc3339());
    }
    json!({
        "apiVersion": "kubeflow.org/v1",
        "kind": "Notebook",
        "metadata": {
            "name": notebook.name,
            "namespace": notebook.namespace,
            "labels": {"app": notebook.name},
            "annotations": annotations,
        },
        "spec": {"template": {"spec": {
            "containers": [{
                "name": notebook.name,
                "image": spec.image,
                "imagePullPolicy": spec.image_pull_policy,
                "resources": {"requests": requests, "limits": limits},
                "volumeMounts": mounts,
            }],
            "volumes": pod_volumes,
        }}},
    })
}

/// [`manifest`] as YAML.
pub fn spec_yaml(notebook: &Notebook) -> String {
    serde_saphyr::to_string(&manifest(notebook)).unwrap_or_else(|e| format!("# cannot write the spec as YAML: {e}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notebooks::{NotebookSpec, Phase, form::Volume};

    #[test]
    fn the_manifest_has_kubeflows_shape() {
        let notebook = Notebook {
            namespace: "team".into(),
            name: "nb".into(),
            spec: NotebookSpec {
                server_type: "jupyter".into(),
                image: "img:1".into(),
                image_pull_policy: "IfNotPresent".into(),
                cpu_milli: 500,
                cpu_limit_milli: 600,
                memory_bytes: 1 << 30,
                memory_limit_bytes: 1288 << 20,
                gpu_vendor: "nvidia.com/gpu".into(),
                gpus: 1,
                workspace: Some(Volume { name: "nb-workspace".into(), mount: "/home/jovyan".into() }),
                data_volumes: vec![],
                configurations: vec![],
                shm: true,
            },
            stopped: false,
            phase: Phase::Ready,
            message: String::new(),
            port: None,
            token: "secret".into(),
            created_by: "me".into(),
            created_at: chrono::Utc::now(),
            last_activity: None,
        };
        let m = manifest(&notebook);
        let container = &m["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["resources"]["requests"]["cpu"], "500m");
        assert_eq!(container["resources"]["limits"]["memory"], "1288Mi");
        assert_eq!(container["resources"]["limits"]["nvidia.com/gpu"], "1");
        assert_eq!(container["volumeMounts"][1]["mountPath"], "/dev/shm");
        let yaml = spec_yaml(&notebook);
        assert!(yaml.contains("kind: Notebook"), "{yaml}");
        assert!(!yaml.contains("secret"), "the token is not part of the spec");
    }
}
