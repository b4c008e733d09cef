DROP TABLE former_subdomains;
