INSERT INTO integrations (id, provider, api_key) VALUES
  (1, 'maps', 'AIzaSyC8C0pKtt1gNYzNA7siscK2f5QuzTRakgO'),
  (2, 'places', 'AIzaSyDgz4dqg2V2pfQZOj32DzGE66zAl_bOIU5');
INSERT INTO users (id, email, password_hash) VALUES
  (1, 'user1@northwind.dev', '$2b$12$ygqTzrhwgWDdKnll5fhrQf/LmaudsYq0f6YKvbirY22oB6t0LHfbr'),
  (2, 'user2@northwind.dev', '$2b$12$KPKgFbkn3c.vH03JTOOPNOoGjKlugPiXgA/KWeWHepRtcMbMH3usg'),
  (3, 'user3@northwind.dev', '$2b$12$/egwjSeTGmguLTZ.Le6qCWxYIJWqCnVZeMPPplbTYoKvOX8PJ1yA2');
