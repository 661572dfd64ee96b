from groundstation.cli import main

main()
