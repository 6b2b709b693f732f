//! The reference client's management tree: leaves with values and access rights, and
//! interior nodes implied by their paths, with the status code of every outcome
//! (DM Protocol and TND: 200, 403, 404, 405, 418). It is a plain value, so Atomic rolls
//! back by restoring a copy.

use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    pub get: bool,
    pub replace: bool,
    pub delete: bool,
    pub exec: bool,
}

impl Access {
    pub const READ_ONLY: Access = Access {
        get: true,
        replace: false,
        delete: false,
        exec: false,
    };
    pub const READ_WRITE: Access = Access {
        get: true,
        replace: true,
        delete: true,
        exec: false,
    };
    /// Secrets: writable, never readable (DMAcc AAuthSecret).
    pub const WRITE_ONLY: Access = Access {
        get: false,
        replace: true,
        delete: false,
        exec: false,
    };
    /// An operation node: Exec runs it, Get reads its state.
    pub const EXECUTABLE: Access = Access {
        get: true,
        replace: false,
        delete: false,
        exec: true,
    };
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf {
    pub value: String,
    pub format: String,
    pub access: Access,
}

/// What a successful Get returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GetResult {
    Leaf {
        value: String,
        format: String,
    },
    /// An interior node: its child names, '/'-separated as DM lists them.
    Interior {
        children: String,
    },
}

#[derive(Debug, Clone, Default)]
pub struct MgmtTree {
    leaves: BTreeMap<String, Leaf>,
    /// Interior nodes created by Add (others exist because a leaf lies below them).
    interiors: BTreeSet<String>,
}

pub mod code {
    pub const OK: u16 = 200;
    pub const FORBIDDEN: u16 = 403;
    pub const NOT_FOUND: u16 = 404;
    pub const NOT_ALLOWED: u16 = 405;
    pub const ALREADY_EXISTS: u16 = 418;
}

/// `./DevInfo/Mod`, `DevInfo/Mod/` and `DevInfo/Mod` name the same node.
fn norm(uri: &str) -> String {
    let u = uri.trim();
    let u = u.strip_prefix("./").unwrap_or(u);
    // "." is the root.
    if u == "." {
        return String::new();
    }
    u.trim_end_matches('/').to_owned()
}

impl MgmtTree {
    pub fn set_leaf(&mut self, uri: &str, value: &str, access: Access) {
        self.leaves.insert(
            norm(uri),
            Leaf {
                value: value.into(),
                format: "chr".into(),
                access,
            },
        );
    }

    pub fn leaf(&self, uri: &str) -> Option<&Leaf> {
        self.leaves.get(&norm(uri))
    }

    fn is_interior(&self, key: &str) -> bool {
        if key.is_empty() || self.interiors.contains(key) {
            return true;
        }
        let prefix = format!("{key}/");
        self.leaves.keys().any(|k| k.starts_with(&prefix))
            || self.interiors.iter().any(|k| k.starts_with(&prefix))
    }

    fn children_of(&self, key: &str) -> String {
        let prefix = if key.is_empty() {
            String::new()
        } else {
            format!("{key}/")
        };
        let mut names = BTreeSet::new();
        for k in self.leaves.keys().chain(self.interiors.iter()) {
            if let Some(first) = k
                .strip_prefix(&prefix)
                .and_then(|rest| rest.split('/').next())
                .filter(|s| !s.is_empty())
            {
                names.insert(first.to_owned());
            }
        }
        names.into_iter().collect::<Vec<_>>().join("/")
    }

    pub fn get(&self, uri: &str) -> Result<GetResult, u16> {
        let key = norm(uri);
        if let Some(leaf) = self.leaves.get(&key) {
            return if leaf.access.get {
                Ok(GetResult::Leaf {
                    value: leaf.value.clone(),
                    format: leaf.format.clone(),
                })
            } else {
                Err(code::NOT_ALLOWED)
            };
        }
        if self.is_interior(&key) {
            return Ok(GetResult::Interior {
                children: self.children_of(&key),
            });
        }
        Err(code::NOT_FOUND)
    }

    /// Replace never creates a node (404 when missing).
    pub fn replace(&mut self, uri: &str, value: &str, format: &str) -> u16 {
        let key = norm(uri);
        if !self.leaves.contains_key(&key) {
            return if self.is_interior(&key) {
                code::NOT_ALLOWED
            } else {
                code::NOT_FOUND
            };
        }
        match self.leaves.get_mut(&key) {
            Some(leaf) if leaf.access.replace => {
                leaf.value = value.into();
                leaf.format = format.into();
                code::OK
            }
            _ => code::NOT_ALLOWED,
        }
    }

    /// Add a leaf (with a value) or an interior node (without); missing parents are
    /// created implicitly, as DM allows.
    pub fn add(&mut self, uri: &str, value: Option<&str>, format: &str) -> u16 {
        let key = norm(uri);
        if key.is_empty() || self.leaves.contains_key(&key) || self.is_interior(&key) {
            return code::ALREADY_EXISTS;
        }
        // A leaf cannot have children.
        let mut parent = key.as_str();
        while let Some((p, _)) = parent.rsplit_once('/') {
            if self.leaves.contains_key(p) {
                return code::NOT_ALLOWED;
            }
            parent = p;
        }
        match value {
            Some(v) if format != "node" => {
                self.leaves.insert(
                    key,
                    Leaf {
                        value: v.into(),
                        format: format.into(),
                        access: Access::READ_WRITE,
                    },
                );
            }
            _ => {
                self.interiors.insert(key);
            }
        }
        code::OK
    }

    /// Copy a leaf onto a leaf (DM allows no other Copy): a missing target is created, an
    /// existing one is overwritten unless it may not be replaced (403).
    pub fn copy(&mut self, source: &str, target: &str) -> u16 {
        let Some(from) = self.leaves.get(&norm(source)).cloned() else {
            return if self.is_interior(&norm(source)) {
                code::NOT_ALLOWED
            } else {
                code::NOT_FOUND
            };
        };
        if !from.access.get {
            return code::NOT_ALLOWED;
        }
        match self.leaves.get(&norm(target)) {
            Some(leaf) if !leaf.access.replace => code::FORBIDDEN,
            Some(_) => self.replace(target, &from.value, &from.format),
            None if self.is_interior(&norm(target)) => code::NOT_ALLOWED,
            None => self.add(target, Some(&from.value), &from.format),
        }
    }

    /// Exec runs an operation node; the reference client's operations have no effect
    /// beyond counting their runs in the node's value.
    pub fn exec(&mut self, uri: &str) -> u16 {
        let key = norm(uri);
        let interior = self.is_interior(&key);
        match self.leaves.get_mut(&key) {
            Some(leaf) if leaf.access.exec => {
                let runs = leaf.value.parse::<u64>().unwrap_or(0) + 1;
                leaf.value = runs.to_string();
                code::OK
            }
            Some(_) => code::NOT_ALLOWED,
            None if interior => code::NOT_ALLOWED,
            None => code::NOT_FOUND,
        }
    }

    pub fn delete(&mut self, uri: &str) -> u16 {
        let key = norm(uri);
        if key.is_empty() {
            return code::NOT_ALLOWED;
        }
        if let Some(leaf) = self.leaves.get(&key) {
            if !leaf.access.delete {
                return code::NOT_ALLOWED;
            }
            self.leaves.remove(&key);
            return code::OK;
        }
        if !self.is_interior(&key) {
            return code::NOT_FOUND;
        }
        let prefix = format!("{key}/");
        if self
            .leaves
            .iter()
            .any(|(k, l)| k.starts_with(&prefix) && !l.access.delete)
        {
            return code::NOT_ALLOWED;
        }
        self.leaves.retain(|k, _| !k.starts_with(&prefix));
        self.interiors
            .retain(|k| k != &key && !k.starts_with(&prefix));
        code::OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> MgmtTree {
        let mut t = MgmtTree::default();
        t.set_leaf("./DevInfo/Mod", "Ref", Access::READ_ONLY);
        t.set_leaf("./DevInfo/Man", "dmct", Access::READ_ONLY);
        t.set_leaf("./DMAcc/lab/Name", "Lab", Access::READ_WRITE);
        t.set_leaf("./DMAcc/lab/AppAuth/1/AAuthSecret", "s", Access::WRITE_ONLY);
        t
    }

    #[test]
    fn get_leaf_interior_missing_and_secret() {
        let t = tree();
        assert_eq!(
            t.get("./DevInfo/Mod"),
            Ok(GetResult::Leaf {
                value: "Ref".into(),
                format: "chr".into()
            })
        );
        assert_eq!(
            t.get("./DevInfo"),
            Ok(GetResult::Interior {
                children: "Man/Mod".into()
            })
        );
        assert_eq!(t.get("./DevInfo/Nope"), Err(404));
        assert_eq!(t.get("./DMAcc/lab/AppAuth/1/AAuthSecret"), Err(405));
    }

    #[test]
    fn replace_add_delete_status_codes() {
        let mut t = tree();
        assert_eq!(t.replace("./DMAcc/lab/Name", "New", "chr"), 200);
        assert_eq!(t.leaf("DMAcc/lab/Name").unwrap().value, "New");
        assert_eq!(t.replace("./DevInfo/Mod", "x", "chr"), 405);
        assert_eq!(t.replace("./DMAcc/lab/Missing", "x", "chr"), 404);
        assert_eq!(t.add("./DMAcc/lab/Name", Some("x"), "chr"), 418);
        assert_eq!(t.add("./Vendor/a/b", Some("1"), "int"), 200);
        assert_eq!(t.add("./Vendor/a/b/c", Some("1"), "int"), 405);
        assert_eq!(
            t.get("./Vendor"),
            Ok(GetResult::Interior {
                children: "a".into()
            })
        );
        assert_eq!(t.delete("./DevInfo"), 405);
        assert_eq!(t.delete("./Vendor"), 200);
        assert_eq!(t.get("./Vendor/a/b"), Err(404));
        assert_eq!(t.delete("./Vendor"), 404);
        assert_eq!(t.delete("."), 405);
    }

    #[test]
    fn copy_and_exec_status_codes() {
        let mut t = tree();
        t.set_leaf("./Vendor/Ops/Reboot", "0", Access::EXECUTABLE);
        assert_eq!(t.copy("./DevInfo/Mod", "./DMAcc/lab/Name"), 200);
        assert_eq!(t.leaf("./DMAcc/lab/Name").unwrap().value, "Ref");
        assert_eq!(t.copy("./DevInfo/Mod", "./Vendor/Copy"), 200);
        assert_eq!(t.leaf("./Vendor/Copy").unwrap().value, "Ref");
        assert_eq!(t.copy("./DMAcc/lab/Name", "./DevInfo/Man"), 403);
        assert_eq!(t.copy("./Nope", "./Vendor/X"), 404);
        assert_eq!(t.copy("./DevInfo", "./Vendor/X"), 405);
        assert_eq!(
            t.copy("./DMAcc/lab/AppAuth/1/AAuthSecret", "./Vendor/X"),
            405
        );
        assert_eq!(t.exec("./Vendor/Ops/Reboot"), 200);
        assert_eq!(t.exec("./Vendor/Ops/Reboot"), 200);
        assert_eq!(t.leaf("./Vendor/Ops/Reboot").unwrap().value, "2");
        assert_eq!(t.exec("./DevInfo/Mod"), 405);
        assert_eq!(t.exec("./Vendor/Ops"), 405);
        assert_eq!(t.exec("./Vendor/Ops/Nope"), 404);
    }
}
